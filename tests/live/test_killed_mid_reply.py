"""A server killed (SIGKILL) mid-reply, then started again: the reply becomes
``interrupted`` with the text the shopper had seen, and resending retries it."""

from __future__ import annotations

from tests.support.live import TICKING_ENV, LiveSite, Shopper, reading, wait_for

ENV = TICKING_ENV


def test_a_reply_cut_by_sigkill_is_interrupted_with_its_text_and_retry_works():
    with LiveSite(env=ENV) as site:
        site.manage("migrate", "--noinput")
        first = site.start()
        shopper = Shopper(first, "acme")
        shopper.token()
        with reading(f"{first}/api/chatbot/events?shop=acme", session=shopper.session) as stream:
            assert stream.ready.wait(5)
            sent = shopper.post(
                "/api/chatbot/stream-message", {"text": "ticks:80 please", "clientMessageId": "k1"}
            )
            assert sent.status_code == 202
            reply_id = sent.json()["reply"]["id"]
            # Past a checkpoint and its flush (2 s each), then the process dies without a word.
            wait_for(lambda: sum(e["event"] == "reply.delta" for e in stream.events) >= 50, 20)
            shown = "".join(e["data"]["text"] for e in stream.events if e["event"] == "reply.delta")
            site.servers[0][0].kill()
            site.servers[0][0].wait(5)

        second = site.start()  # the same database; its keeper sweeps at start-up and after
        shopper.base = second

        def reply_now():
            history = shopper.session.get(f"{second}/api/chatbot/history?shop=acme", timeout=10).json()
            found = [m for m in history["messages"] if m["id"] == reply_id]
            return found[0] if found and found[0]["status"] == "interrupted" else None

        interrupted = wait_for(reply_now, 20)
        assert interrupted["text"] and shown.startswith(interrupted["text"])  # the checkpointed part
        again = shopper.post(
            "/api/chatbot/stream-message", {"text": "ticks:80 please", "clientMessageId": "k1"}
        )
        assert again.status_code == 202 and again.json()["reply"]["id"] != reply_id

        def retried_done():
            history = shopper.session.get(f"{second}/api/chatbot/history?shop=acme", timeout=10).json()
            return any(
                m["id"] == again.json()["reply"]["id"] and m["status"] == "done" for m in history["messages"]
            )

        wait_for(retried_done, 20)
