"""The pairwise judge reads its verdicts with the strict parser: an ambiguous verdict is a counted failure, never a pick."""

from distillscope.indist.pairwise import pairwise_judge
from distillscope.models.mock import MockModel
from distillscope.models.spec import ModelSpec
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Completion, Prompt


class HedgingJudge(MockModel):
    """Names the teacher's answer cleanly on "clear" prompts, and hedges ("a close call, but B") on the rest, even re-asked."""

    def answer(self, request):
        prompt = request.messages[0].content
        if "[REQUEST]\nclear" not in prompt:
            return Completion(text="A close call, but B", finish_reason="stop")
        a = prompt.split("[ANSWER A]\n", 1)[1].split("\n", 1)[0]
        return Completion(text="<answer>A</answer>" if a.startswith("teacher") else "<answer>B</answer>", finish_reason="stop")


def test_hedged_verdicts_are_unreadable_and_count_as_coin_flips(tmp_path):
    runner = Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False)
    prompts = [Prompt(id=f"p{i}", text=("clear " if i < 4 else "hedged ") + f"question {i}", category="general") for i in range(10)]
    result = pairwise_judge(
        runner,
        HedgingJudge(ModelSpec.parse("mock/hedger")),
        prompts,
        [f"teacher answer {i}" for i in range(10)],
        [f"student answer {i}" for i in range(10)],
        examples=[],
    )
    assert result.unreadable == 12 and result.judge_failures == 0  # 6 hedged pairs, both orders, still hedged after the re-ask
    assert result.consistent == 4 and result.advantage.mean == 1.0
    assert result.advantage_all_pairs.mean == 0.4  # the 6 hedged pairs count 0, not as picks of B
