"""What a run paid for: queries, tokens and money per model, and a spending limit checked before each batch.

Only answers the runner actually requests count as paid; answers served from
the store are counted apart (cached) and cost nothing. Money comes from a
price table (USD per 1M input and output tokens, per model); local backends
have no price and cost 0. A model with neither a price nor a local backend
has unknown cost: shown as such, never guessed, and refused when a limit
must be enforced.

The limit is checked *before* a batch is sent, against a deliberately high
estimate of what the batch could cost: every UTF-8 byte of the rendered input
as a token (byte-level tokenizers never produce more tokens than bytes) plus
a template allowance, and max_tokens of output. So a run stops before the
limit is exceeded, possibly a little early, and keeps every answer so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from distillscope.errors import InputFileError, UserError
from distillscope.types import Completion

if TYPE_CHECKING:
    from rich.table import Table

TEMPLATE_TOKENS = 16  # chat-template tokens a server may add around one request's messages


class Price(BaseModel):
    input: float = Field(ge=0, description="USD per 1M prompt tokens")
    output: float = Field(ge=0, description="USD per 1M completion tokens")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


def _base(spec: str) -> str:
    """provider/name without options, provider lower-cased (as model identities write it)."""
    head = spec.strip().partition("?")[0]
    provider, _, name = head.partition("/")
    return f"{provider.lower()}/{name}"


class PriceTable(BaseModel):
    """Prices keyed by model spec; a key without options prices every variant of that model."""

    prices: dict[str, Price] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "PriceTable":
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise InputFileError(f"cannot read price table {path}: {exc.strerror}", "check the path") from None
        except yaml.YAMLError:
            raise InputFileError(
                f"price table {path} is not valid YAML", "write 'provider/model: {input: USD, output: USD}' lines"
            ) from None
        return cls.parse(data.get("prices", data) if isinstance(data, dict) else data, str(path))

    @classmethod
    def parse(cls, data: object, where: str = "price table") -> "PriceTable":
        try:
            return cls.model_validate({"prices": data or {}})
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(p) for p in first["loc"][1:]) or "prices"
            raise InputFileError(
                f"{where}: {place}: {first['msg']}", "give each model {input: USD per 1M tokens, output: USD per 1M tokens}"
            ) from None

    def price_of(self, identity: str) -> Price | None:
        """The model's price; 0 for local backends; None when unknown."""
        if identity in self.prices:
            return self.prices[identity]
        base = _base(identity)
        for key, price in self.prices.items():
            if key == base or (_base(key) == base and "?" not in key):
                return price
        if is_local(base.partition("/")[0]):
            return Price(input=0, output=0)
        return None


def is_local(provider: str) -> bool:
    """Whether the provider's backend says it has no per-token price (`Model.local`); False for an unknown provider."""
    from distillscope.models.registry import backend_of

    backend = backend_of(provider)
    return backend is not None and backend.local


class ModelUsage(BaseModel):
    model: str
    paid_queries: int = 0
    cached_queries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0  # None: no price known for this model
    unmetered: int = 0  # paid answers the server sent without token counts: costed at the upper estimate

    def minus(self, before: "ModelUsage") -> "ModelUsage":
        cost = None if self.cost is None or before.cost is None else self.cost - before.cost
        return ModelUsage(
            model=self.model,
            paid_queries=self.paid_queries - before.paid_queries,
            cached_queries=self.cached_queries - before.cached_queries,
            prompt_tokens=self.prompt_tokens - before.prompt_tokens,
            completion_tokens=self.completion_tokens - before.completion_tokens,
            cost=cost,
            unmetered=self.unmetered - before.unmetered,
        )


class CostLimitReached(UserError):
    """The next batch could take spending past --max-cost; nothing more is sent."""


def upper_estimate(rendered: Sequence[str], max_tokens: Sequence[int]) -> tuple[int, int]:
    """(prompt, completion) tokens that a batch cannot exceed."""
    return sum(len(r.encode("utf-8")) + TEMPLATE_TOKENS for r in rendered), sum(max_tokens)


class CostMeter:
    """Per-model usage of one run, owned by the runner; `max_cost` (USD) is enforced by `reserve`."""

    def __init__(self, prices: PriceTable | None = None, max_cost: float | None = None) -> None:
        if max_cost is not None and max_cost < 0:
            raise UserError(f"--max-cost {max_cost} is negative", "give a spending limit in USD, e.g. --max-cost 5")
        self.prices = prices or PriceTable()
        self.max_cost = max_cost
        self.usage: dict[str, ModelUsage] = {}
        self.reserved = 0.0
        self.stopped: CostLimitReached | None = None

    def _usage(self, identity: str) -> ModelUsage:
        if identity not in self.usage:
            self.usage[identity] = ModelUsage(model=identity, cost=0.0 if self.prices.price_of(identity) is not None else None)
        return self.usage[identity]

    @property
    def spent(self) -> float:
        return sum(u.cost or 0.0 for u in self.usage.values())

    @property
    def remaining(self) -> float | None:
        return None if self.max_cost is None else self.max_cost - self.spent - self.reserved

    def estimate(self, identity: str, rendered: Sequence[str], max_tokens: Sequence[int]) -> float | None:
        """Most a batch of these requests could cost; None when the model has no price."""
        price = self.prices.price_of(identity)
        return None if price is None else price.cost(*upper_estimate(rendered, max_tokens))

    def check(self, identity: str, estimate: float | None, what: str = "the next batch") -> None:
        """Raise CostLimitReached (and remember it) if `estimate` does not fit in what is left."""
        if self.max_cost is None:
            return
        if self.stopped is not None:
            raise self.stopped
        if estimate is None:
            raise UserError(
                f"no price for {identity}, so --max-cost cannot be enforced",
                f"add '{_base(identity)}: {{input: USD per 1M tokens, output: USD per 1M tokens}}' to the price table",
            )
        left = self.max_cost - self.spent - self.reserved  # `remaining`, known to be a number here
        if estimate > left + 1e-12:
            self.stopped = CostLimitReached(
                f"stopped before the cost limit: {what} for {identity} could cost up to ${estimate:.4f} and "
                f"${max(0.0, left):.4f} of --max-cost ${self.max_cost:.4f} is left (spent ${self.spent:.4f})",
                "raise --max-cost to go on; every answer so far is stored and a re-run reuses it",
            )
            raise self.stopped

    def require_prices(self, identities: Sequence[str]) -> None:
        """With a limit set, refuse up front (one line) a model whose spending cannot be counted."""
        if self.max_cost is None:
            return
        for identity in identities:
            if self.prices.price_of(identity) is None:
                self.check(identity, None)

    def reserve(self, identity: str, rendered: Sequence[str], max_tokens: Sequence[int]) -> float:
        """Hold the batch's upper estimate against the limit while it is in flight; returns the amount held."""
        estimate = self.estimate(identity, rendered, max_tokens)
        self.check(identity, estimate)
        held = estimate or 0.0
        self.reserved += held
        return held

    def release(self, held: float) -> None:
        self.reserved = max(0.0, self.reserved - held)

    def record(self, identity: str, completion: Completion, rendered: str, max_tokens: int) -> None:
        """A paid answer: its tokens, and its cost at the model's price."""
        usage = self._usage(identity)
        usage.paid_queries += 1
        prompt_tokens, completion_tokens = completion.prompt_tokens, completion.completion_tokens
        price = self.prices.price_of(identity)
        if (prompt_tokens is None or completion_tokens is None) and price is not None and price.input == price.output == 0:
            prompt_tokens, completion_tokens = prompt_tokens or 0, completion_tokens or 0  # free (replay, local): nothing to bound
            usage.unmetered += 1
        if prompt_tokens is None or completion_tokens is None:
            usage.unmetered += 1
            bound = upper_estimate([rendered], [max_tokens])
            prompt_tokens = bound[0] if prompt_tokens is None else prompt_tokens
            completion_tokens = bound[1] if completion_tokens is None else completion_tokens
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        if price is not None and usage.cost is not None:
            usage.cost += price.cost(prompt_tokens, completion_tokens)

    def record_cached(self, identity: str, count: int) -> None:
        if count:
            self._usage(identity).cached_queries += count

    def mark(self) -> dict[str, ModelUsage]:
        """A snapshot; `since(mark)` is then the usage of what ran in between (one metric's share)."""
        return {k: v.model_copy() for k, v in self.usage.items()}

    def since(self, mark: dict[str, ModelUsage]) -> dict[str, ModelUsage]:
        out = {}
        for identity, usage in self.usage.items():
            delta = usage.minus(mark[identity]) if identity in mark else usage.model_copy()
            if delta.paid_queries or delta.cached_queries:
                out[identity] = delta
        return out

    def stages(self) -> "StageCosts":
        """Usage split by stage (one metric after another): call `.done(name)` after each."""
        return StageCosts(self)

    def total(self, usage: dict[str, ModelUsage] | None = None) -> dict:
        """Sums over models; cost None when any paid model has no price."""
        rows = list((usage if usage is not None else self.usage).values())
        unknown = any(u.cost is None and u.paid_queries for u in rows)
        return {
            "paid_queries": sum(u.paid_queries for u in rows),
            "cached_queries": sum(u.cached_queries for u in rows),
            "prompt_tokens": sum(u.prompt_tokens for u in rows),
            "completion_tokens": sum(u.completion_tokens for u in rows),
            "cost": None if unknown else sum(u.cost or 0.0 for u in rows),
        }

    def summary(self, usage: dict[str, ModelUsage] | None = None) -> dict:
        """JSON-ready: per model and total, plus the limit."""
        usage = self.usage if usage is None else usage
        return {"models": {k: v.model_dump() for k, v in usage.items()}, "total": self.total(usage), "max_cost": self.max_cost}


class StageCosts:
    """What each stage of a run paid for, in the order they ran."""

    def __init__(self, meter: CostMeter) -> None:
        self.meter, self._mark = meter, meter.mark()
        self.costs: dict[str, dict] = {}

    def done(self, stage: str) -> None:
        usage = self.meter.since(self._mark)
        if usage:
            self.costs[stage] = self.meter.summary(usage)
        self._mark = self.meter.mark()


def cost_table(summary: dict, title: str = "queries, tokens and cost") -> Table:
    """Per model: paid and cached queries, tokens, USD ('-' for a model without a price)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title + (f" (limit ${summary['max_cost']:.4f})" if summary.get("max_cost") is not None else ""))
    table.add_column("model", overflow="fold", ratio=2)  # a spec is folded onto more lines, never cut
    for column in ("paid queries", "cached", "tokens in", "tokens out", "cost (USD)"):
        table.add_column(column, justify="right", ratio=1)
    rows = [(name, usage) for name, usage in summary["models"].items()] + [("total", summary["total"])]
    for name, usage in rows:
        money = "-" if usage["cost"] is None else f"{usage['cost']:.4f}"
        table.add_row(
            escape(name),
            str(usage["paid_queries"]),
            str(usage["cached_queries"]),
            str(usage["prompt_tokens"]),
            str(usage["completion_tokens"]),
            money,
        )
    return table
