"""Shell completion, generated from the argument parser itself, so that it cannot fall behind the commands.

In: the ``argparse`` parser of ``xeploai``. Out: a bash completion script (commands, options, the choices of
options that have them, file names elsewhere) and the same for zsh through its ``bashcompinit``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

_BASH_BODY = """\
_xeploai() {
    # zsh (through bashcompinit) numbers arrays from 1 unless told otherwise
    [[ -n ${ZSH_VERSION-} ]] && setopt localoptions ksharrays
    local cur=${COMP_WORDS[COMP_CWORD]} key="" skip=0 i word subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((skip)); then
            skip=$((skip - 1))
            continue
        fi
        if [[ $word == -* ]]; then
            skip=$(_xeploai_values "$key" "$word")
            continue
        fi
        subs=" $(_xeploai_commands "$key") "
        if [[ $subs == *" $word "* ]]; then
            key="${key:+$key }$word"
        fi
    done
    if ((skip)); then
        local choices
        choices=$(_xeploai_choices "$key" "${COMP_WORDS[COMP_CWORD - 1]}")
        if [[ -n $choices ]]; then
            COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_xeploai_options "$key")" -- "$cur"))
        return 0
    fi
    subs=$(_xeploai_commands "$key")
    if [[ -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -o bashdefault -F _xeploai xeploai
"""


def _commands(parser: argparse.ArgumentParser, key: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command as its words joined by spaces ("" for ``xeploai`` itself, "appeal open"), with its
    parser, parents first."""
    yield key, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{key} {name}".strip())


def _subcommand_names(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name for action in parser._actions if isinstance(action, argparse._SubParsersAction) for name in action.choices
    ]


def _values(action: argparse.Action) -> int:
    """How many words follow the option: the words to skip when finding the command, and whether its value is
    completed (1 or more) — at least one for ``+`` and ``*`` lists, whose later words complete as files."""
    if action.nargs == 0:
        return 0
    if isinstance(action.nargs, int):
        return action.nargs
    return 1


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def bash(parser: argparse.ArgumentParser) -> str:
    """The bash completion script of ``parser`` (``eval "$(xeploai completion bash)"``)."""
    commands = list(_commands(parser))
    lines = [
        "# bash completion for xeploai, made by `xeploai completion bash` from its own argument parser.",
        '# Install: eval "$(xeploai completion bash)" in ~/.bashrc, or save the output as',
        "# ~/.local/share/bash-completion/completions/xeploai",
        "",
        "_xeploai_commands() {",
        '    case "$1" in',
    ]
    for key, sub in commands:
        names = _subcommand_names(sub)
        if names:
            lines.append(f"    {_quote(key)}) echo {_quote(' '.join(names))} ;;")
    lines += ["    esac", "}", "", "_xeploai_options() {", '    case "$1" in']
    for key, sub in commands:
        options = [o for action in sub._actions for o in action.option_strings]
        lines.append(f"    {_quote(key)}) echo {_quote(' '.join(options))} ;;")
    lines += [
        "    esac",
        "}",
        "",
        "# The number of words an option takes.",
        "_xeploai_values() {",
        '    case "$1|$2" in',
    ]
    choices: list[str] = []
    for key, sub in commands:
        for action in sub._actions:
            count = _values(action)
            for option in action.option_strings:
                if count:
                    lines.append(f"    {_quote(f'{key}|{option}')}) echo {count} ;;")
                if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
                    words = " ".join(str(c) for c in action.choices)
                    choices.append(f"    {_quote(f'{key}|{option}')}) echo {_quote(words)} ;;")
    lines += ["    *) echo 0 ;;", "    esac", "}", "", "_xeploai_choices() {", '    case "$1|$2" in', *choices]
    lines += ["    esac", "}", "", _BASH_BODY]
    return "\n".join(lines)


def zsh(parser: argparse.ArgumentParser) -> str:
    """The zsh completion script: the bash one through zsh's ``bashcompinit`` (``eval "$(xeploai completion
    zsh)"`` in ~/.zshrc, after ``compinit``)."""
    body = bash(parser).replace("completion bash", "completion zsh").replace("~/.bashrc", "~/.zshrc")
    setup = "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n"
    return setup + "autoload -U +X bashcompinit && bashcompinit\n" + body
