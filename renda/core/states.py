"""The state machine every scene's ``states.py`` fills with data.

A transition names the states it may start from (``sources``), the states it may end in
(``targets``; empty: the record keeps its state, as a progress note or a co-signature does) and
the permission it needs (``None``: the citizen, verified by receipt code, or the system). A
scene's ``states.py`` is one table of these and nothing else; the services move a record only
through :meth:`Machine.move`, so a target the table does not list is a programming error that
fails loudly instead of a state nobody drew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from renda.core.errors import Conflict


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the verb shown on the button and in refusals: 不能{label}
    sources: frozenset[str]
    targets: frozenset[str]
    perm: str | None  # None: the citizen or the system; never a staff button
    entity: str = ""  # for a scene with more than one kind of record (projects)

    @property
    def key(self) -> str:
        """The name the machine knows it by: ``<entity>.<name>``, or the name alone."""
        return f"{self.entity}.{self.name}" if self.entity else self.name


def t(
    name: str,
    label: str,
    sources: Iterable[str],
    targets: Iterable[str],
    perm: str | None,
    *,
    entity: str = "",
) -> Transition:
    return Transition(name, label, frozenset(sources), frozenset(targets), perm, entity)


class Machine:
    """One scene's transitions, looked up by name (``machine["route"]``)."""

    def __init__(
        self,
        transitions: Sequence[Transition],
        *,
        state_label: Callable[[str], str],
        entity_state_label: Callable[[str, str], str] | None = None,
        subject: str = "",
    ) -> None:
        self.subject = subject  # names the record in refusals: 会议当前状态为…
        self.transitions: dict[str, Transition] = {}
        for x in transitions:
            if x.key in self.transitions:
                raise ValueError(f"transition {x.key} is defined twice")
            self.transitions[x.key] = x
        self.state_label = state_label
        # Several kinds of record may share a state's value with different labels (projects:
        # a proposal's "accepted" is 拟列入候选, a project's 验收通过).
        self.entity_state_label = entity_state_label

    def label_of(self, transition: Transition, state: str) -> str:
        if transition.entity and self.entity_state_label is not None:
            return self.entity_state_label(transition.entity, state)
        return self.state_label(state)

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __contains__(self, name: object) -> bool:
        return name in self.transitions

    def __iter__(self) -> Any:
        return iter(self.transitions.values())

    def get(self, name: str) -> Transition | None:
        return self.transitions.get(name)

    def check(self, name: str, state: str) -> Transition:
        """The transition, or Conflict (in Chinese) when the record is not in a state that allows it."""
        transition = self.transitions[name]
        if state not in transition.sources:
            raise Conflict(f"{self.subject}当前状态为“{self.label_of(transition, state)}”，不能{transition.label}")
        return transition

    def allowed(self, state: str, perms: set[str] | frozenset[str], *, entity: str = "") -> list[Transition]:
        """The staff transitions a holder of ``perms`` may start from ``state`` (the buttons, before
        the scene's policy narrows them by role)."""
        return [
            x
            for x in self.transitions.values()
            if x.entity == entity and state in x.sources and x.perm is not None and x.perm in perms
        ]

    def move(self, record: Any, name: str, target: str, *, field: str = "state") -> None:
        """Put ``record`` in ``target`` through transition ``name``; a target the table does not
        list for it is a bug, not a user error."""
        transition = self.transitions[name]
        if target not in transition.targets:
            raise AssertionError(f"{name} cannot lead to {target}; states.py lists {sorted(transition.targets)}")
        setattr(record, field, target)
