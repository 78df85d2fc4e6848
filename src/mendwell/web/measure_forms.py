"""Instrument items on HTML forms: reading answers from a posted form, grouping items for
display, and turning answer errors into messages next to each question."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData

from mendwell.actions.errors import FieldError
from mendwell.clinical.instruments import Instrument, Item

# Optional detail items shown under the item they belong to (CAPS-5 frequency and intensity).
DETAIL_KINDS = ("frequency", "intensity")


@dataclass(frozen=True)
class ItemGroup:
    number: int
    item: Item
    details: tuple[Item, ...]
    condition: str | None = None  # when the question applies (skip logic), in words


def item_groups(instrument: Instrument) -> list[ItemGroup]:
    """The items as numbered questions, each with its optional detail items."""
    ids = {item.id for item in instrument.items}
    details: dict[str, list[Item]] = {}
    main: list[Item] = []
    for item in instrument.items:
        parent = item.id.rsplit("_", 1)[0]
        if item.kind in DETAIL_KINDS and parent in ids:
            details.setdefault(parent, []).append(item)
        else:
            main.append(item)
    numbers = {item.id: n for n, item in enumerate(main, 1)}
    return [
        ItemGroup(n, item, tuple(details.get(item.id, ())), _condition(instrument, item, numbers))
        for n, item in enumerate(main, 1)
    ]


def _condition(instrument: Instrument, item: Item, numbers: dict[str, int]) -> str | None:
    rule = item.asked_if
    if rule is None or rule.item not in numbers:
        return None
    parent = next(i for i in instrument.items if i.id == rule.item)
    answers = " or ".join(f'"{parent.option_label(v) or v}"' for v in rule.values)
    return f"Answer only if the answer to question {numbers[rule.item]} is {answers}."


def answers_from_form(
    form: FormData, instrument: Instrument, prefix: str = ""
) -> tuple[dict[str, int | None], list[FieldError]]:
    """Each item's answer from fields named ``<prefix><item id>``; blank means unanswered."""
    answers: dict[str, int | None] = {}
    problems = []
    for item in instrument.items:
        raw = form.get(prefix + item.id)
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            answers[item.id] = None
            continue
        try:
            answers[item.id] = int(text)
        except ValueError:
            problems.append(FieldError(("answers", item.id), "must be one of the answers shown"))
    return answers, problems


def messages(errors: list[FieldError], prefix: str = "") -> dict[str, str]:
    """Messages keyed as the form names its fields: answers by ``<prefix><item id>``."""
    out: dict[str, str] = {}
    for err in errors:
        if len(err.loc) >= 2 and err.loc[0] == "answers":
            key = prefix + str(err.loc[-1])
        else:
            key = err.field
        out.setdefault(key, err.msg)
    return out


@dataclass(frozen=True)
class Problem:
    anchor: str
    text: str


def problem_list(
    instruments: list[Instrument], errors: dict[str, str], prefix_of: dict[str, str]
) -> list[Problem]:
    """The error summary: each problem as "Question n of <instrument>: message", in order."""
    out = []
    for instrument in instruments:
        prefix = prefix_of.get(instrument.id, "")
        for group in item_groups(instrument):
            for item in (group.item, *group.details):
                msg = errors.get(prefix + item.id)
                if msg:
                    out.append(
                        Problem(
                            f"f-{prefix}{item.id}",
                            f"Question {group.number} of {instrument.short_title}: {msg}",
                        )
                    )
    return out
