"""A small local stand-in for Stream Chat's REST API, for tests and the demo.

It serves the endpoints this app calls, the way Stream documents them: users upsert,
channel query (get-or-create), send message, partial update, ephemeral update, channel
events, GET/PATCH /app, and the shopper-data tasks: ``POST /export_channels`` then
``GET /export_channels/{task}`` (its ``result.url`` names the file, served without
credentials like Stream's pre-signed file URL), ``POST /channels/delete`` and
``POST /users/delete`` (hard), with ``GET /tasks/{task}``. Tasks complete at once;
``pending_polls`` makes each answer "pending" that many times first. Every request must
carry ``?api_key=`` and a server JWT (HS256, ``{"server": true}``, signed with the
secret) in ``Authorization``; each accepted or refused call is recorded in
``double.calls``. Failures can be injected per route.

Not a chat server: there is no WebSocket, so a browser cannot connect to it; it is for
the server side (point ``STREAM_CHAT_BASE_URL`` at ``double.base_url``).

    with StreamDouble(api_key="k", api_secret="s") as double:
        ... STREAM_CHAT_BASE_URL=double.base_url ...
        assert double.paths() == ["POST /users", ...]

Standalone: ``python -m tests.doubles.stream_double --port 8765 --key k --secret s``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.support.http_server import ThreadedServer


@dataclass
class RecordedCall:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "StatusCode": status, "duration": "0.01ms"}


class StreamDouble:
    def __init__(
        self,
        api_key: str = "double-key",
        api_secret: str = "double-secret",
        *,
        ephemeral_supported: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.ephemeral_supported = ephemeral_supported
        self.calls: list[RecordedCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.ephemeral_updates: list[dict[str, Any]] = []
        self.app: dict[str, Any] = {"name": "double", "webhook_url": "", "event_hooks": []}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.export_files: dict[str, Any] = {}
        self.deleted_users: list[str] = []
        self.pending_polls = 0
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._host, self._port = host, port
        self._server: ThreadedServer | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> StreamDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                double._serve(self, "GET")

            def do_POST(self) -> None:
                double._serve(self, "POST")

            def do_PUT(self) -> None:
                double._serve(self, "PUT")

            def do_PATCH(self) -> None:
                double._serve(self, "PATCH")

            def do_DELETE(self) -> None:
                double._serve(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

        self._server = ThreadedServer(Handler, host=self._host, port=self._port, name="stream-double")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> StreamDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the double first"
        return self._server.url

    # ---------------------------------------------------------------- test helpers

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (e.g. 429 with
        ``X-RateLimit-Reset``, or 503)."""
        with self._lock:
            self._failures.append(
                _Failure(method, re.compile(path_regex), status, times, headers or {}, body)
            )

    def paths(self) -> list[str]:
        with self._lock:
            return [call.route for call in self.calls]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # ---------------------------------------------------------------- serving

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        call = RecordedCall(method, url.path, query, body, {k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            self.calls.append(call)
        status, payload, extra_headers = self._answer(call)
        call.status = status
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _authorise(self, call: RecordedCall) -> tuple[int, dict[str, Any]] | None:
        if call.method == "GET" and call.path.startswith("/export-files/"):
            return None  # a pre-signed download URL: no API key, no JWT
        if call.query.get("api_key") != self.api_key:
            return _error(401, 2, "api_key not valid")
        token = call.headers.get("authorization", "")
        try:
            claims = jwt.decode(token, self.api_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return _error(
                401,
                5,
                "JWTAuth error: signature is not valid. Make sure the token is created using the secret",
            )
        if call.headers.get("stream-auth-type") != "jwt":
            return _error(401, 5, "stream-auth-type header missing")
        if not claims.get("server"):
            return _error(403, 17, "server-side auth required for this call")
        return None

    def _answer(self, call: RecordedCall) -> tuple[int, dict[str, Any], dict[str, str]]:
        refused = self._authorise(call)
        if refused is not None:
            return (*refused, {})
        with self._lock:
            for failure in self._failures:
                if failure.times > 0 and failure.method == call.method and failure.pattern.search(call.path):
                    failure.times -= 1
                    body = (
                        failure.body
                        or _error(failure.status, 9 if failure.status == 429 else -1, "injected")[1]
                    )
                    return failure.status, body, failure.headers
            status, payload = self._route(call)
        return status, payload, {}

    def _route(self, call: RecordedCall) -> tuple[int, dict[str, Any]]:
        body = call.body if isinstance(call.body, dict) else {}
        m, path = call.method, call.path.rstrip("/")
        if m == "POST" and path == "/users":
            for user_id, user in (body.get("users") or {}).items():
                stored = self.users.setdefault(user_id, {"created_at": _now()})
                stored.update(user, updated_at=_now())
            return 200, {
                "users": {uid: self.users[uid] for uid in body.get("users") or {}},
                "duration": "1ms",
            }
        if m == "GET" and path == "/app":
            return 200, {"app": json.loads(json.dumps(self.app)), "duration": "1ms"}
        if m == "PATCH" and path == "/app":
            for key, value in body.items():
                if key == "event_hooks":
                    value = [{"id": hook.get("id") or str(uuid.uuid4()), **hook} for hook in value]
                self.app[key] = value
            return 201, {"duration": "1ms"}
        if match := re.fullmatch(r"/channels/([\w-]+)/([\w!-]+)/query", path):
            return self._query_channel(match.group(1), match.group(2), body)
        if match := re.fullmatch(r"/channels/([\w-]+)/([\w!-]+)/message", path):
            return self._send_message(f"{match.group(1)}:{match.group(2)}", body)
        if match := re.fullmatch(r"/channels/([\w-]+)/([\w!-]+)/event", path):
            cid = f"{match.group(1)}:{match.group(2)}"
            if cid not in self.channels:
                return _error(404, 16, f"channel {cid} does not exist")
            event = {**(body.get("event") or {}), "cid": cid, "created_at": _now()}
            self.events.append(event)
            return 201, {"event": event, "duration": "1ms"}
        if m == "GET" and (match := re.fullmatch(r"/export-files/([\w-]+)\.json", path)):
            if match.group(1) not in self.export_files:
                return _error(404, 404, "no such file")
            return 200, self.export_files[match.group(1)]
        if m == "POST" and path == "/export_channels":
            return self._export_channels(body)
        if m == "GET" and (match := re.fullmatch(r"/(?:export_channels|tasks)/([\w-]+)", path)):
            return self._task(match.group(1))
        if m == "POST" and path == "/channels/delete":
            return self._delete_channels(body)
        if m == "POST" and path == "/users/delete":
            return self._delete_users(body)
        if m == "PATCH" and (match := re.fullmatch(r"/messages/([^/]+)/ephemeral", path)):
            if not self.ephemeral_supported:
                return _error(404, 404, "route not found")
            return self._update_message(match.group(1), body, persist=False)
        if m == "PUT" and (match := re.fullmatch(r"/messages/([^/]+)", path)):
            return self._update_message(match.group(1), body, persist=True)
        return _error(404, 404, f"{m} {path} is not served by the Stream double")

    # ---------------------------------------------------------------- tasks

    def _new_task(self, result: dict[str, Any]) -> str:
        task_id = str(uuid.uuid4())
        self.tasks[task_id] = {"result": result, "polls_left": self.pending_polls, "created_at": _now()}
        return task_id

    def _task(self, task_id: str) -> tuple[int, dict[str, Any]]:
        task = self.tasks.get(task_id)
        if task is None:
            return _error(404, 16, f"Can't find task with id {task_id}")
        done = task["polls_left"] <= 0
        task["polls_left"] -= 1
        answer = {
            "task_id": task_id,
            "status": "completed" if done else "pending",
            "created_at": task["created_at"],
            "updated_at": _now(),
            "duration": "1ms",
        }
        if done:
            answer["result"] = task["result"]
        return 200, answer

    def _export_channels(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        exported = []
        for item in body.get("channels") or []:
            cid = f"{item.get('type')}:{item.get('id')}"
            channel = self.channels.get(cid)
            if channel is None:
                return _error(400, 4, f'ExportChannels failed with error: "Can\'t find channel {cid}"')
            messages = [msg for msg in self.messages.values() if msg["cid"] == cid]
            exported.append({"channel": channel, "messages": messages})
        file_id = str(uuid.uuid4())
        # Stream's export file: the channels with their messages, in its API's JSON shapes.
        self.export_files[file_id] = {"channels": exported}
        url = f"{self.base_url}/export-files/{file_id}.json"
        return 201, {"task_id": self._new_task({"url": url}), "duration": "1ms"}

    def _delete_channels(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        hard = bool(body.get("hard_delete"))
        result: dict[str, Any] = {}
        for cid in body.get("cids") or []:
            if cid not in self.channels:
                result[cid] = {"status": "error", "error": "channel not found"}
                continue
            if hard:
                del self.channels[cid]
                for message_id in [k for k, v in self.messages.items() if v["cid"] == cid]:
                    del self.messages[message_id]
            else:
                self.channels[cid]["deleted_at"] = _now()
            result[cid] = {"status": "ok"}
        return 201, {"task_id": self._new_task(result), "duration": "1ms"}

    def _delete_users(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        hard_messages = body.get("messages") == "hard"
        for user_id in body.get("user_ids") or []:
            if body.get("user") == "hard":
                self.users.pop(user_id, None)
            self.deleted_users.append(user_id)
            if hard_messages:
                for message_id in [
                    k for k, v in self.messages.items() if (v.get("user") or {}).get("id") == user_id
                ]:
                    del self.messages[message_id]
        return 201, {"task_id": self._new_task({}), "duration": "1ms"}

    def _query_channel(
        self, channel_type: str, channel_id: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        cid = f"{channel_type}:{channel_id}"
        data = dict(body.get("data") or {})
        channel = self.channels.get(cid)
        if channel is None:
            members = data.pop("members", [])
            created_by = data.pop("created_by", None)
            channel = self.channels[cid] = {
                "id": channel_id,
                "type": channel_type,
                "cid": cid,
                "created_by": created_by,
                "created_at": _now(),
                "members": [m if isinstance(m, str) else m.get("user_id") for m in members],
                **data,
            }
        members = [{"user_id": uid, "user": self.users.get(uid, {"id": uid})} for uid in channel["members"]]
        messages = [msg for msg in self.messages.values() if msg["cid"] == cid]
        return 201, {"channel": channel, "members": members, "messages": messages, "duration": "1ms"}

    def _send_message(self, cid: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if cid not in self.channels:
            return _error(404, 16, f"channel {cid} does not exist")
        message = dict(body.get("message") or {})
        message_id = message.get("id") or str(uuid.uuid4())
        if message_id in self.messages:
            return _error(
                400, 4, f'SendMessage failed with error: "a message with ID {message_id} already exists"'
            )
        user_id = (message.pop("user", None) or {}).get("id") or message.pop("user_id", None)
        if user_id is None:
            return _error(400, 4, "SendMessage failed: either user or user_id must be provided")
        message.update(
            id=message_id,
            cid=cid,
            type="regular",
            user=self.users.get(user_id, {"id": user_id}),
            created_at=_now(),
            updated_at=_now(),
        )
        message.setdefault("attachments", [])
        self.messages[message_id] = message
        return 201, {"message": message, "duration": "1ms"}

    def _update_message(
        self, message_id: str, body: dict[str, Any], *, persist: bool
    ) -> tuple[int, dict[str, Any]]:
        stored = self.messages.get(message_id)
        if stored is None:
            return _error(404, 4, f"message {message_id} not found")
        updated = {**stored, **(body.get("set") or {})}
        for name in body.get("unset") or []:
            updated.pop(name, None)
        updated["updated_at"] = _now()
        if persist:
            self.messages[message_id] = updated
        else:
            self.ephemeral_updates.append({"id": message_id, **(body.get("set") or {})})
        return 201, {"message": updated, "duration": "1ms"}


def main() -> None:  # pragma: no cover - a developer tool
    parser = argparse.ArgumentParser(description="Run the Stream Chat REST double.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default="double-key")
    parser.add_argument("--secret", default="double-secret")
    args = parser.parse_args()
    double = StreamDouble(args.key, args.secret, port=args.port).start()
    print(f"Stream double at {double.base_url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        double.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
