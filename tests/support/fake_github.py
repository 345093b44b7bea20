"""A fake GitHub REST API over real HTTP (http.server in a thread), recording every call.

It implements only what trainops uses, the way GitHub answers it: bearer auth, issue comments
with `Link` pagination and the 65536-character body limit (422), `commits/{sha}/pulls`, and
`GET /user` answering 403 like the workflow's GITHUB_TOKEN does. Issues (the drift issue): list
(open by default, `state=all|closed`, pull requests included as GitHub does), create, edit
(body, title, state). Issue numbers start at 100, apart from the tests' pull requests.
`fail_next` scripts faults.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT = {"login": "github-actions[bot]", "type": "Bot"}
MAX_BODY = 65536


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    message: str
    method: str | None  # only requests with this method fail; None: the next request
    after_write: bool  # do the work, then answer the error (a response lost on the way)


@dataclass
class FakeGithub:
    token: str
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls_by_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    user: dict[str, Any] | None = None  # None: /user is forbidden, as for GITHUB_TOKEN
    poster: dict[str, Any] = field(default_factory=lambda: dict(BOT))
    faults: list[Fault] = field(default_factory=list)
    page_size: int = 30
    _next_id: int = 1000
    _next_issue: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_comment(self, pr: int, body: str, user: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._lock:
            return self._add(pr, body, user or {"login": "octocat", "type": "User"})

    def fail_next(
        self,
        status: int,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
        message: str = "scripted fault",
        method: str | None = None,
        after_write: bool = False,
    ) -> None:
        fault = Fault(status, headers or {}, message, method, after_write)
        self.faults.extend([fault] * times)

    def add_issue(
        self, body: str, user: dict[str, Any] | None = None, *, pull_request: bool = False
    ) -> dict[str, Any]:
        """An issue opened by someone else (by default a person), or a pull request."""
        with self._lock:
            issue = self._open(body, "by hand", user or {"login": "octocat", "type": "User"})
            if pull_request:
                issue["pull_request"] = {"url": "https://github.example/pulls/1"}
            return issue

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if i["state"] == "open" and "pull_request" not in i]

    def _open(self, body: str, title: str, user: dict[str, Any]) -> dict[str, Any]:
        self._next_issue += 1
        n = self._next_issue
        issue = {
            "number": n,
            "title": title,
            "body": body,
            "state": "open",
            "state_reason": None,
            "user": dict(user),
            "html_url": f"https://github.example/issues/{n}",
        }
        self.issues[n] = issue
        return issue

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method in ("POST", "PATCH")]

    def _add(self, pr: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": dict(user),
            "html_url": f"https://github.example/pr/{pr}#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(pr, []).append(comment)
        return comment

    def handle(self, call: Call) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append(call)
            if call.headers.get("authorization") != f"Bearer {self.token}":
                return 401, {}, {"message": "Bad credentials"}
            fault = next((f for f in self.faults if f.method in (None, call.method)), None)
            if fault is None:
                return self._route(call)
            self.faults.remove(fault)
            if fault.after_write:
                self._route(call)
            return fault.status, fault.headers, {"message": fault.message}

    def _route(self, call: Call) -> tuple[int, dict[str, str], Any]:
        m, p = call.method, call.path
        if m == "GET" and p == "/user":
            if self.user is None:
                return 403, {}, {"message": "Resource not accessible by integration"}
            return 200, {}, self.user
        if found := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", p):
            pr = int(found.group(1))
            return self._list(call, pr) if m == "GET" else self._create(call, pr)
        if (found := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", p)) and m == "PATCH":
            return self._edit(call, int(found.group(1)))
        if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", p):
            return self._issues(call) if m == "GET" else self._create_issue(call)
        if (found := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", p)) and m == "PATCH":
            return self._edit_issue(call, int(found.group(1)))
        if (found := re.fullmatch(r"/repos/[^/]+/[^/]+/commits/(\w+)/pulls", p)) and m == "GET":
            return 200, {}, self.pulls_by_commit.get(found.group(1), [])
        return 404, {}, {"message": "Not Found"}

    def _list(self, call: Call, pr: int) -> tuple[int, dict[str, str], Any]:
        return self._page(call, self.comments.get(pr, []))

    def _issues(self, call: Call) -> tuple[int, dict[str, str], Any]:
        state = call.query.get("state", ["open"])[0]
        items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        return self._page(call, sorted(items, key=lambda i: -i["number"]))  # newest first

    def _create_issue(self, call: Call) -> tuple[int, dict[str, str], Any]:
        body, title = call.body.get("body", ""), call.body.get("title", "")
        if not title:
            return 422, {}, {"message": "Validation Failed: title is missing"}
        if len(body) > MAX_BODY:
            return 422, {}, {"message": "Validation Failed: body is too long"}
        return 201, {}, self._open(body, title, self.poster)

    def _edit_issue(self, call: Call, number: int) -> tuple[int, dict[str, str], Any]:
        issue = self.issues.get(number)
        if issue is None:
            return 404, {}, {"message": "Not Found"}
        if len(call.body.get("body", "")) > MAX_BODY:
            return 422, {}, {"message": "Validation Failed: body is too long"}
        if call.body.get("state", "open") not in ("open", "closed"):
            return 422, {}, {"message": "Validation Failed: state"}
        for key in ("body", "title", "state", "state_reason"):
            if key in call.body:
                issue[key] = call.body[key]
        return 200, {}, issue

    def _page(self, call: Call, items: list[dict[str, Any]]) -> tuple[int, dict[str, str], Any]:
        size = min(int(call.query.get("per_page", ["30"])[0]), self.page_size)
        page = int(call.query.get("page", ["1"])[0])
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            nxt = f"{self.url}{call.path}?per_page={size}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return 200, headers, chunk

    def _create(self, call: Call, pr: int) -> tuple[int, dict[str, str], Any]:
        body = call.body.get("body", "")
        if len(body) > MAX_BODY:
            return 422, {}, {"message": "Validation Failed: body is too long"}
        return 201, {}, self._add(pr, body, self.poster)

    def _edit(self, call: Call, comment_id: int) -> tuple[int, dict[str, str], Any]:
        body = call.body.get("body", "")
        if len(body) > MAX_BODY:
            return 422, {}, {"message": "Validation Failed: body is too long"}
        for comment in (c for cs in self.comments.values() for c in cs):
            if comment["id"] == comment_id:
                if comment["user"]["login"] != self.poster["login"]:
                    return 403, {}, {"message": "Must have admin rights to Repository."}
                comment["body"] = body
                return 200, {}, comment
        return 404, {}, {"message": "Not Found"}


def _handler(fake: FakeGithub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls
        protocol_version = "HTTP/1.1"  # keep-alive, like GitHub

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            call = Call(
                self.command,
                split.path,
                parse_qs(split.query),
                json.loads(raw) if raw else None,
                {k.lower(): v for k, v in self.headers.items()},
            )
            status, headers, payload = fake.handle(call)
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_fake_github(token: str) -> Iterator[FakeGithub]:
    fake = FakeGithub(token=token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
