"""A loopback OpenAI-compatible stub server that can misbehave on purpose.

Tests and benchmarks start it on 127.0.0.1 with a random port, inject 429s
with Retry-After, 500s, slow answers (client time-outs), malformed JSON,
`content: null` answers (plain, refusal, tool call), connection resets, random
faults at given rates and dead periods (the fault soak), a key it rejects with 401
on generation while `/models` stays open, a 400 whose body quotes the key
(`echo_key`), and a kill mid-run (a replica that dies), and read back every
request it saw. It never listens beyond loopback. `reply` makes it answer like
a judge; a request asking for `logprobs` gets a payload in the OpenAI shape
(chat `logprobs.content`, completion `tokens`/`top_logprobs`) unless
`logprobs=False` plays a server that ignores the field. The answer bodies
themselves (fake log-probabilities included) are written by `stub_answers.py`.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from distillscope.testing.stub_answers import NO_TEXT_FAULTS, completion_answer


@dataclass
class StubLog:
    prompt: str
    status: int
    fault: str | None
    at: float
    serial: int | None = None  # the delivery's number, where `number_answers` puts it in the answer
    client_port: int | None = None  # the client's side of the connection (which process asked, for the fault soak)
    asked_at: float | None = None  # when the request arrived (`at` is when it was answered)
    client_key: str | None = None  # the API key it came with (the fault soak gives each process its own)


@dataclass
class StubConfig:
    latency_s: float = 0.0
    #: prompt text -> faults for its successive attempts, e.g. {"q3": ["429", "500"]}
    faults: dict[str, list[str]] = field(default_factory=dict)
    retry_after_s: float = 0.2
    timeout_sleep_s: float = 3.0
    #: answer every generation request with this HTTP status (401: a rejected key), /models stays open
    generation_status: int | None = None
    #: the answer to a prompt (the last user message); default "stub answer to: <prompt>"
    reply: Callable[[str], str] | None = None
    #: honour a request's `logprobs` (False: a server that ignores the field)
    logprobs: bool = True
    #: random faults (the fault soak): kind -> probability per request, of "429", "500", "reset", "malformed", "slow"
    fault_rates: dict[str, float] = field(default_factory=dict)
    fault_seed: int = 0
    slow_s: float = 0.5
    #: a dead period: every generation request's connection is reset, answering nothing
    dead: bool = False
    #: end every answer with " #<serial>", so a stored answer names the delivery it came from
    number_answers: bool = False


LOOPBACK = "127.0.0.1"  # the only address the stub listens on


class _LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # the default backlog of 5 drops connections when a client opens 32 at once,
    # and the dropped SYN is only retried a second later
    request_queue_size = 256

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """A client that dropped its connection (killed, timed out) is expected here: no traceback on stderr."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class StubServer:
    def __init__(self, config: StubConfig | None = None) -> None:
        self.config = config or StubConfig()
        self.log: list[StubLog] = []
        #: GET /models requests seen (preflights and replica probes)
        self.models_requests = 0
        self.killed = False
        self._connections: set[socket.socket] = set()
        self._attempts: dict[str, int] = defaultdict(int)
        self._random = random.Random(self.config.fault_seed)
        self._serial = 0
        self._lock = threading.Lock()
        self._server = _LoopbackHTTPServer((LOOPBACK, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_port}/v1"

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.killed:
            self._server.shutdown()
            self._server.server_close()

    def kill(self) -> None:
        """Die like a crashed replica: stop listening and drop every open connection, answering nothing."""
        with self._lock:
            self.killed = True
            connections = list(self._connections)
        self._server.shutdown()
        self._server.server_close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def successes(self, prompt: str | None = None) -> list[StubLog]:
        with self._lock:
            return [e for e in self.log if e.status == 200 and e.fault is None and (prompt is None or e.prompt == prompt)]

    def _next_fault(self, prompt: str) -> str | None:
        with self._lock:
            attempt = self._attempts[prompt]
            self._attempts[prompt] += 1
            if self.config.dead:
                return "reset"
            draw = self._random.random()
        planned = self.config.faults.get(prompt, [])
        if attempt < len(planned):
            return planned[attempt]
        for kind, rate in self.config.fault_rates.items():
            if draw < rate:
                return kind
            draw -= rate
        return None

    def _record(
        self, prompt: str, status: int, fault: str | None, port: int | None = None, asked_at: float | None = None, key: str | None = None
    ) -> int | None:
        """Log a request; a delivered answer (200, no fault) gets the next serial number, returned."""
        with self._lock:
            serial = None
            if status == 200 and fault is None:
                self._serial += 1
                serial = self._serial
            self.log.append(StubLog(prompt, status, fault, time.time(), serial, port, asked_at, key))
            return serial

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out as two writes; without TCP_NODELAY, Nagle plus the
            # client's delayed ACK adds ~40 ms to every keep-alive request
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                with stub._lock:
                    stub._connections.add(self.connection)

            def finish(self) -> None:
                with stub._lock:
                    stub._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def handle_one_request(self) -> None:
                if stub.killed:
                    self.close_connection = True
                    return
                super().handle_one_request()

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                if stub.killed:  # a dead replica answers nothing
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    with stub._lock:
                        stub.models_requests += 1
                    self._send(200, json.dumps({"object": "list", "data": [{"id": "stub", "object": "model"}]}).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:  # noqa: N802
                asked_at = time.time()
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:  # a body cut short by a client that died sending it
                    return self._send(400, b'{"error": {"message": "malformed body"}}')
                chat = self.path.rstrip("/").endswith("/chat/completions")
                if chat and not payload.get("messages"):  # a client killed after its headers, before its body
                    return self._send(400, b'{"error": {"message": "no messages"}}')
                prompt = payload["messages"][-1]["content"] if chat else payload.get("prompt", "")
                fault = stub._next_fault(prompt)
                if stub.config.latency_s:
                    time.sleep(stub.config.latency_s)
                if stub.killed:
                    self.close_connection = True
                    return
                if stub.config.generation_status is not None:
                    stub._record(prompt, stub.config.generation_status, "status")
                    body = b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'
                    return self._send(stub.config.generation_status, body)
                if fault == "429":
                    stub._record(prompt, 429, fault)
                    body = b'{"error": {"message": "rate limited", "type": "rate_limit"}}'
                    return self._send(429, body, {"Retry-After": f"{stub.config.retry_after_s}"})
                if fault == "500":
                    stub._record(prompt, 500, fault)
                    return self._send(500, b'{"error": {"message": "internal error"}}')
                if fault == "reset":  # the connection dropped mid-request: a TCP reset, no answer
                    stub._record(prompt, 0, fault)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return None
                if fault == "slow":
                    time.sleep(stub.config.slow_s)
                    fault = None  # then answered as usual
                if fault == "echo_key":  # a careless server that quotes the key it was sent in its error body
                    stub._record(prompt, 400, fault)
                    message = f"bad request from key {self.headers.get('Authorization', '')}"
                    return self._send(400, json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode())
                if fault == "timeout":
                    stub._record(prompt, 200, fault)
                    time.sleep(stub.config.timeout_sleep_s)
                if fault == "malformed":
                    stub._record(prompt, 200, fault)
                    return self._send(200, b'{"id": "chatcmpl-x", "choices": [{"index": 0, "mess')
                text = stub.config.reply(prompt) if stub.config.reply else f"stub answer to: {prompt}"
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                serial = stub._record(prompt, 200, None, self.client_address[1], asked_at, key) if fault is None else None
                if serial is not None and stub.config.number_answers:
                    text += f" #{serial}"
                if payload.get("temperature", 0) > 0:
                    text += f" (seed {payload.get('seed')})"
                if chat and fault in NO_TEXT_FAULTS:  # a `content: null` answer, logged as its fault
                    stub._record(prompt, 200, fault)
                answer = completion_answer(payload, prompt, text, chat, fault, stub.config.logprobs)
                self._send(200, json.dumps(answer).encode())

        return Handler


def main() -> None:
    """`python -m distillscope.testing.stub_server [latency_s]`: serve until interrupted."""
    import sys

    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    with StubServer(StubConfig(latency_s=latency)) as server:
        print(server.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
