#!/usr/bin/env python3
"""Reference renderer: a chat template + a conversation through Python's Jinja2, configured the way
Hugging Face transformers' apply_chat_template does it (the oracle for uma's own interpreter)."""
import argparse
import datetime
import json
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

DEFAULT_NOW = datetime.datetime(2025, 1, 15, 12, 0, 0)


class GenerationTag(jinja2.ext.Extension):
    """HF's {% generation %}...{% endgeneration %}: renders its body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment(now=DEFAULT_NOW):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    # HF replaces Jinja2's tojson: no HTML escaping, non-ASCII kept, json.dumps' options exposed.
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(fmt):
        return now.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def load_conversation(path):
    """A messages file is {"messages": [...], "tools": ..., ...} or a plain list of messages."""
    with open(path, "rb") as f:
        data = json.loads(f.read().decode("utf-8"))
    if isinstance(data, list):
        data = {"messages": data}
    return data


def build_context(conv, add_generation_prompt=None, bos=None, eos=None):
    """The variables HF passes: messages, tools (None when absent), documents=None,
    add_generation_prompt, bos_token, eos_token, plus any other keys of the file as extra kwargs."""
    ctx = {k: v for k, v in conv.items()}
    ctx.setdefault("tools", None)
    ctx.setdefault("documents", None)
    if add_generation_prompt is not None:
        ctx["add_generation_prompt"] = add_generation_prompt
    ctx.setdefault("add_generation_prompt", True)
    if bos is not None:
        ctx["bos_token"] = bos
    if eos is not None:
        ctx["eos_token"] = eos
    ctx.setdefault("bos_token", "")
    ctx.setdefault("eos_token", "")
    return ctx


def render(template_source, ctx, now=DEFAULT_NOW):
    """Returns (output, None) or (None, error message)."""
    out, err, _ = render_ex(template_source, ctx, now)
    return out, err


def render_ex(template_source, ctx, now=DEFAULT_NOW):
    """Returns (output, error message, is_syntax_error)."""
    try:
        template = make_environment(now).from_string(template_source)
    except jinja2.exceptions.TemplateSyntaxError as e:
        return None, e.message, True
    except Exception as e:  # e.g. an unknown filter: Jinja2 finds it while compiling
        return None, str(e), True
    try:
        return template.render(**ctx), None, False
    except Exception as e:  # the message is what uma must reproduce
        return None, str(e), False


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--template", required=True)
    ap.add_argument("--messages", required=True)
    ap.add_argument("--generation-prompt", choices=["true", "false"])
    ap.add_argument("--now", help="ISO date-time for strftime_now, e.g. 2025-01-15T12:00:00")
    ap.add_argument("--bos")
    ap.add_argument("--eos")
    args = ap.parse_args()
    with open(args.template, "rb") as f:
        source = f.read().decode("utf-8")
    gen = None if args.generation_prompt is None else args.generation_prompt == "true"
    now = datetime.datetime.fromisoformat(args.now) if args.now else DEFAULT_NOW
    ctx = build_context(load_conversation(args.messages), gen, args.bos, args.eos)
    out, err = render(source, ctx, now)
    if err is not None:
        sys.stderr.write("error: " + err + "\n")
        return 1
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
