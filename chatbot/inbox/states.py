"""A conversation's state and every move between states: the one writer of
``Conversation.state`` and ``handoff_at``, so the two always agree (``handoff_at`` is set
exactly while the state is *waiting* or *with staff*, and the assistant stays quiet then).

    assistant --hand_off--> waiting --staff_reply/take_over--> staff
        ^                      |                                 |
        +------hand_back-------+---------------------------------+
    any --close--> closed --shopper writes again--> assistant

Each move that the shopper should know about posts a system message through the engine
(``Message.notice`` tells the widget what it means: its footer, the email form).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import activity
from ..engines import get_engine
from ..models import Conversation, Message
from ..shop_settings import settings_for_shop
from . import hours, notify

logger = logging.getLogger("chatbot.inbox")

State = Conversation.State
HANDED_OFF = (State.WAITING, State.STAFF)


def _language(conversation: Conversation) -> str:
    return "zh-hans" if (conversation.language or "").lower().startswith("zh") else "en"


def _system_message(conversation: Conversation, text: str, notice: str) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SYSTEM,
        text=text,
        status=Message.Status.DONE,
        notice=notice,
        handoff=notice in (Message.Notice.HANDOFF, Message.Notice.AWAY),
    )

    def deliver() -> None:
        try:
            get_engine().deliver_message(conversation, message)
        except Exception:  # stored: the shopper sees it in the history
            logger.exception("Could not deliver notice %s", message.pk)

    transaction.on_commit(deliver)
    return message


def within_hours(shop_id: str, now: dt.datetime | None = None) -> bool:
    chat = settings_for_shop(shop_id)
    return hours.is_open(chat.business_hours, chat.timezone, now or timezone.now())


def handoff_text(shop_id: str, language: str, *, away: bool) -> str:
    """What the shopper reads after asking for a person: hours and the expected wait, or
    (outside hours) that they may leave an email address."""
    chat = settings_for_shop(shop_id)
    with translation.override(language):
        shown = hours.describe(chat.business_hours, language)
        if away:
            return _(
                "Our team is away right now (hours: %(hours)s). Leave your email address below "
                "and we will send the answer there, or keep writing here."
            ) % {"hours": shown}
        text = _("A person from our team will reply here, usually within %(minutes)d minutes.") % {
            "minutes": chat.expected_wait_minutes
        }
        if shown:
            text += " " + _("Hours: %(hours)s.") % {"hours": shown}
        return text


def hand_off(conversation: Conversation) -> bool:
    """The assistant handed over, or the shopper asked for a person: *waiting for staff*.
    Only the move into waiting tells the shopper (hours, wait) and staff (one email); a
    second request while already waiting or with staff changes nothing but the pause."""
    now = timezone.now()
    with transaction.atomic():
        moved = (
            Conversation.objects.filter(pk=conversation.pk)
            .exclude(state__in=HANDED_OFF)
            .update(state=State.WAITING, handoff_at=now, contact_email="")
        )
        if not moved:
            Conversation.objects.filter(pk=conversation.pk).update(handoff_at=now)
        conversation.handoff_at = now
        activity.handed_off(conversation)  # staff may answer within the hour: keep the stream
        if not moved:
            conversation.state = Conversation.objects.values_list("state", flat=True).get(pk=conversation.pk)
            return False
        conversation.state = State.WAITING
        conversation.contact_email = ""
        away = not within_hours(conversation.shop_id, now)
        _system_message(
            conversation,
            handoff_text(conversation.shop_id, _language(conversation), away=away),
            Message.Notice.AWAY if away else Message.Notice.HANDOFF,
        )
        transaction.on_commit(lambda: notify.staff_of_handoff(conversation))
    return True


def take_over(conversation: Conversation) -> None:
    """Staff took the conversation: the assistant stays paused while they talk."""
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        state=State.STAFF, handoff_at=conversation.handoff_at or now, staff_read_at=now
    )
    conversation.state, conversation.handoff_at = State.STAFF, conversation.handoff_at or now
    conversation.staff_read_at = now


def staff_reply(conversation: Conversation, text: str) -> Message:
    """A staff answer: to the shopper live on the engine, and by email if they left one."""
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, role=Message.Role.STAFF, text=text, status=Message.Status.DONE
        )
        take_over(conversation)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    get_engine().deliver_message(conversation, message)
    activity.handed_off(conversation)  # the shopper's other pages connect, for the badge
    if conversation.contact_email:
        notify.shopper_of_reply(conversation, message)
    return message


def hand_back(conversation: Conversation) -> Message:
    """The assistant answers again; the widget says so and its footer returns to normal."""
    return _end_staff_turn(
        conversation,
        State.ASSISTANT,
        gettext_noop("The assistant is back. Ask me anything."),
        Message.Notice.BACK,
    )


def close(conversation: Conversation) -> Message:
    return _end_staff_turn(
        conversation,
        State.CLOSED,
        gettext_noop("Our team closed this conversation. Write here any time; the assistant will answer."),
        Message.Notice.CLOSED,
    )


def _end_staff_turn(conversation: Conversation, state: str, text: str, notice: str) -> Message:
    """Hand back and close end the hand-off alike: state, no hand-off, no email, all read,
    then the notice in the shopper's language."""
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(
            state=state, handoff_at=None, contact_email="", staff_read_at=timezone.now()
        )
        conversation.state, conversation.handoff_at, conversation.contact_email = state, None, ""
        with translation.override(_language(conversation)):
            said = _(text)
        return _system_message(conversation, said, notice)


def reopen_if_closed(conversation: Conversation) -> None:
    """The shopper wrote in a closed conversation: the assistant answers again."""
    if conversation.state == State.CLOSED:
        Conversation.objects.filter(pk=conversation.pk, state=State.CLOSED).update(state=State.ASSISTANT)
        conversation.state = State.ASSISTANT


def pause_expired(conversation: Conversation) -> None:
    """Nobody answered within the pause: the assistant takes the conversation back
    (quietly; the shopper is writing and gets the assistant's reply)."""
    Conversation.objects.filter(pk=conversation.pk).update(state=State.ASSISTANT, handoff_at=None)
    conversation.state, conversation.handoff_at = State.ASSISTANT, None


def mark_read(conversation: Conversation) -> None:
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(staff_read_at=now)
    conversation.staff_read_at = now


def leave_email(conversation: Conversation, email: str) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(contact_email=email)
    conversation.contact_email = email
