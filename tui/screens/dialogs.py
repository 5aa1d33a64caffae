"""Modal dialogs: confirm, prompt, form, choice. Each returns its answer via dismiss().

Keyboard first: enter accepts, escape cancels, and every choice has a letter key.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no. `danger` styles the confirm button as destructive."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(
        self, title: str, message: str, *, confirm: str = "Yes", danger: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self.confirm_label} \\[y]",
                    variant="error" if self.danger else "primary",
                    id="yes",
                )
                yield Button("Cancel \\[n]", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    required: bool = False
    placeholder: str = ""
    value: str = ""
    integer: bool = False
    help: str = ""


class FormDialog(ModalScreen[dict[str, str] | None]):
    """A few labelled inputs; refuses to submit until required ones are filled.

    Returns only non-empty values, so optional fields left blank are absent.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(
        self, title: str, fields: list[FormField], *, submit: str = "Save", intro: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit_label = submit
        self.intro = intro

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.intro:
                yield Static(self.intro, classes="dialog-body")
            with VerticalScroll(classes="dialog-fields"):
                for field in self.fields:
                    marker = " *" if field.required else ""
                    yield Label(f"{field.label}{marker}", classes="field-label")
                    yield Input(
                        value=field.value,
                        placeholder=field.placeholder,
                        id=f"field-{field.key}",
                        type="integer" if field.integer else "text",
                    )
                    if field.help:
                        yield Static(field.help, classes="field-help")
            yield Static("", id="form-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.submit_label} \\[enter]", variant="primary", id="submit")
                yield Button("Cancel \\[esc]", id="cancel")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].key}", Input).focus()

    def _values(self) -> dict[str, str]:
        return {
            field.key: self.query_one(f"#field-{field.key}", Input).value.strip()
            for field in self.fields
        }

    def _submit(self) -> None:
        values = self._values()
        missing = [f.label for f in self.fields if f.required and not values[f.key]]
        if missing:
            self.query_one("#form-error", Static).update(f"Required: {', '.join(missing)}")
            return
        self.dismiss({key: value for key, value in values.items() if value})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def prompt(
    title: str,
    label: str,
    *,
    required: bool = True,
    placeholder: str = "",
    value: str = "",
    intro: str = "",
) -> FormDialog:
    """A one-field form (its answer is under the key "value")."""
    return FormDialog(
        title,
        [FormField("value", label, required=required, placeholder=placeholder, value=value)],
        intro=intro,
    )


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    description: str = ""
    variant: str = "default"


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few actions, each bound to its own letter."""

    BINDINGS = [Binding("escape", "choose(None)", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, body: str, choices: list[Choice]) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self.body, classes="dialog-body")
                for choice in self.choices:
                    if choice.description:
                        yield Static(
                            f"[b]{choice.key}[/b]  {choice.description}", classes="choice-help"
                        )
            with Horizontal(classes="dialog-buttons"):
                for choice in self.choices:
                    yield Button(
                        f"{choice.label} \\[{choice.key}]",
                        id=f"choice-{choice.key}",
                        variant=choice.variant,
                    )  # type: ignore[arg-type]
                yield Button("Cancel \\[esc]", id="choice-cancel")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        for choice in self.choices:
            if key == choice.key:
                self.dismiss(choice.key)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        self.dismiss(None if button_id == "choice-cancel" else button_id.removeprefix("choice-"))

    def action_choose(self, key: str | None) -> None:
        self.dismiss(key)
