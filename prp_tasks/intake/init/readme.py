"""A project's description from its README, for ``prp init``: the first paragraph of prose of
its introduction (not a heading, badge, notice, list, code block or a lead-in telling what to do),
links as their text."""

from __future__ import annotations

import re


def first_paragraph(text: str, known: str = "", name: str = "") -> str:
    """:func:`_first_paragraph`, an RST reference by a bare word the README defines as their text
    (websockets' "building WebSocket_ servers", ``.. _WebSocket: https://…``; not ``class_``)."""
    paragraph = _first_paragraph(_HTML_COMMENT.sub("", text), known, name)
    for target in set(_TARGET.findall(text)):
        paragraph = re.sub(rf"(?<![\w`]){re.escape(target)}__?(?![\w`])", target, paragraph)
    return paragraph


#: an HTML comment, which a rendered README does not show (beartype's README.md opens with one
#: holding its licence banner, which had been its description)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: an RST hyperlink target of one word (``.. _WebSocket: https://…``)
_TARGET = re.compile(r"^\.\. _([A-Za-z][\w.-]*):", re.M)


def _first_paragraph(text: str, known: str = "", name: str = "") -> str:
    """The first paragraph of prose of the README's introduction: not a heading, badge, image,
    HTML, directive (with its indented body: an RST comment), code block, list, notice or lead-in
    (``To see it, run:``); links as their text. A sentence-long lead-in (iniconfig's "iniconfig is
    a small and simple INI-file parser module having a unique set of features:", boltons' "…
    is a set of over 230 BSD-licensed, pure-Python utilities …, including:") is the description,
    its colon a full stop (what followed was an API note deep in iniconfig's README, a docs link
    in boltons'). The introduction ends at a section such as Installation or Examples
    (termcolor's only prose was a note under "Text properties", after them) and resumes under an
    Overview or Usage (munch's "munch is a fork of … Bunch", after its Installation). A section
    that is a notice to the reader (voluptuous' "CONTRIBUTIONS ONLY") is skipped, and so is one
    that only repeats ``known``, the metadata's description (dill's "serialize all of Python": its
    "About Dill" section's paragraph follows; past it, only a section about the project, ``name``,
    is read: not croniter's "About DST"). A sentence a list completes (dotmap's "`DotMap` is a
    dot-access `dict` subclass that" and five items) is read with its items."""
    block: list[str] = []
    fenced = directive = titled = notice = after_code = False
    intro, dangling, after_repeat = True, "", False
    items: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        fence = stripped.startswith(("```", "~~~"))
        fenced, block = (not fenced, []) if fence else (fenced, block)
        after_code = after_code or fence
        directive = directive and (not stripped or line[:1].isspace())
        if fence or fenced or directive:
            continue
        if dangling:
            said, dangling, directive = _dangling(dangling, items, stripped)
            if said:
                return said
            if directive:  # one of the list's items (its indented lines are its own)
                continue
        if not stripped:
            said, dangling, repeated = _ended(
                _not_cut(block, after_code), intro and not notice, known, dangling
            )
            after_code = after_code and not block
            if said:
                return said
            block, after_repeat = [], after_repeat or repeated
            continue
        if _heading(stripped):  # a Markdown heading, or an RST title's underline below its text
            title = stripped.lstrip("#") if stripped[0] == "#" else " ".join(block[-1:])
            notice, intro, titled = _entered(title, intro, titled, name if after_repeat else None)
            after_code = False  # (a section's first paragraph continues no sentence: munch's)
        # a directive's or a list item's indented lines are its own (structlog's "- **Fast**: …"
        # went on with "Its flexibility comes not at the price of performance.")
        directive = stripped.startswith("..") or bool(_LIST_ITEM.match(stripped))
        indented = not block and line.startswith(("    ", "\t"))  # prettytable's `    pip install …`
        if directive or indented or _not_prose(stripped) or (not block and _LINKS_ONLY.fullmatch(stripped)):
            block = []
            continue
        block.append(stripped)
    return ""


def _dangling(dangling: str, items: list[str], line: str) -> tuple[str, str, bool]:
    """(the description, the paragraph still waiting, whether ``line`` is an item of its list) at
    a line after a paragraph that ended mid-sentence; ``items`` gets the list's items."""
    item = _LIST_ITEM.match(line)
    if item:
        items.append(line[item.end() :].strip())
        return "", dangling, True
    if items or line:
        return _completed(dangling, items, line), "", False
    return "", dangling, False


def _completed(dangling: str, items: list[str], line: str) -> str:
    """A paragraph that ended mid-sentence, completed by the list items after it (dotmap), or by
    the link alone on the line after it (distlib's "The documentation is available at" and its
    URL), else its sentences before the unfinished one ('' when it has none)."""
    if items:
        return _plain(f"{dangling} {', '.join(items)}.")
    if re.fullmatch(r"<?https?://\S+?>?", line):
        return f"{dangling} {line.strip('<>')}"
    return _before_lead_in(dangling)


def _not_cut(block: list[str], after_code: bool) -> list[str]:
    """The paragraph, unless it is the rest of a sentence a code block cut (untangle's "allows it
    to be navigated from the `untangle`d object like this.", after the XML its Usage shows)."""
    return [] if after_code and block[:1] and block[0][:1].islower() else block


def _ended(block: list[str], intro: bool, known: str, dangling: str) -> tuple[str, str, bool]:
    """(the description, a paragraph a list may complete, whether it repeated ``known``) at the
    end of a paragraph: its prose unless it only repeats ``known`` or ends mid-sentence (then it
    is the second)."""
    said = _described(block, intro)
    if said and _DANGLING.search(said):
        return "", said, False
    repeated = bool(said and known and repeats(said, known))
    return ("", dangling, True) if repeated else (said, dangling, False)


def _described(block: list[str], intro: bool) -> str:
    """The description a paragraph of the introduction gives, or "": not a notice, nor a paragraph
    ending in ":" (it introduces code or a list: termcolor's "run:") unless it says what the
    project is (boltons' "… is a set of …, including:")."""
    paragraph = " ".join(block)
    if not intro or not paragraph or _notice(paragraph) or _LABELLED_LINK.fullmatch(paragraph):
        return ""
    if len(paragraph.split()) < 6 and _INSTRUCTION.match(paragraph):  # fastjsonschema's "See documentation."
        return ""
    if not paragraph.endswith(":"):
        return _plain(paragraph)
    if paragraph.endswith(":") and (before := _before_lead_in(paragraph)):
        return _plain(before)  # oauthlib's "… but they all suffer from one or both of the following:"
    if paragraph.endswith(":") and _describes(paragraph):
        return _plain(_LEAD_END.sub(".", paragraph))
    return ""


#: a link with a label, no prose (croniter's "Website: https://github.com/pallets-eco/croniter")
_LABELLED_LINK = re.compile(r"[\w .-]{1,40}:\s*<?(?:https?://|mailto:)\S+>?")
#: a paragraph ending mid-sentence, on a word that needs what follows it (dotmap's "… subclass that")
_DANGLING = re.compile(
    r"\b(?:that|which|who|to|and|or|of|with|for|the|a|an|is|are|can|will|by|at|in|on|from|via|like)$", re.I
)


def repeats(paragraph: str, description: str) -> bool:
    """The README's paragraph only says the description again: the same (bidict's, in italics;
    pydash's with two spaces after a link; croniter's with "the" and "a" more), with a few words
    more (texttable's "Python module to create simple ASCII tables" after "module to create simple
    ASCII tables."), or a part of it (tldextract's first sentence)."""
    said, known = _bare(paragraph), _bare(description)
    if said == known or (bool(known) and known in said and len(said) <= len(known) + 20):
        return True
    # part of the description again, its subject named (tldextract's "`tldextract` accurately
    # separates …" of "Accurately separates … By default, …")
    rest = said.split(" ", 1)[-1]
    return len(rest.split()) >= 5 and (said in known or rest in known)


def described(description: str, paragraph: str) -> str:
    """The Description: the metadata's description, then what the README's paragraph adds; the
    paragraph alone when it says the description and more (email-validator's "… validation
    library for Python 3.10+ by Joshua Tauberer." under "… validation library.")."""
    more = without_repeat(paragraph, description) if paragraph else ""
    if more and _restates(more, description):
        return more
    return f"{description}\n\n{more}".strip() if more else description


def _restates(paragraph: str, description: str) -> bool:
    """The paragraph holds nearly every word of the description (four in five of its words that
    are not articles), and is no more than a few times its length."""
    words = set(_bare(description).split())
    said = set(_bare(paragraph).split())
    short = len(paragraph) <= 3 * len(description) + 200
    return len(words) >= 4 and short and len(words & said) >= 0.8 * len(words)


def without_repeat(paragraph: str, description: str) -> str:
    """The README's paragraph less what repeats the description: '' when it only repeats it
    (:func:`repeats`), else without its first sentences that the description already says
    (emoji's "Emoji for Python.  This project was inspired by kyokomi." after "Emoji for Python.")."""
    if repeats(paragraph, description):
        return ""
    sentences = re.split(r"(?<=[.!?])\s+", paragraph)
    known, dropped = _bare(description), 0
    while dropped < len(sentences) - 1 and known and _bare(sentences[dropped]) in known:
        dropped += 1
    return " ".join(sentences[dropped:]) if dropped else paragraph


def _bare(text: str) -> str:
    """Text without emphasis, code marks, punctuation and articles, its spaces one each."""
    words = re.sub(r"[^\w\s-]", " ", text.lower()).split()
    return " ".join(w for w in words if w not in ("a", "an", "the"))


def _before_lead_in(paragraph: str) -> str:
    """The sentences before a paragraph's last one when that one introduces what follows (a list
    the description leaves out), '' for a paragraph of one sentence."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z*_`])", paragraph)
    return " ".join(sentences[:-1]) if len(sentences) > 1 else ""


#: how a lead-in ends: its colon, and a word that only announces what follows
_LEAD_END = re.compile(r"[,;]?\s*(?:including|such as|like|namely|for example|e\.g\.)?\s*:$", re.I)
_LIST_ITEM = re.compile(r"(?:[-*+]|\d+[.)])(?:\s|$)")

#: a README section that is not its introduction (dateparser's "Online demo": "Do you want to try
#: it out without installing any dependency? …" had become its description), and one that is
_OTHER_SECTION = re.compile(
    r"^(?:install(?:ation|ing)?|setup|examples?|quick ?start|getting started|tutorial"
    r"|documentation|docs|api\b.*|reference|configuration|development|contributing|testing|tests"
    r"|changelog|changes|history|release notes|license|licence|credits|authors|support|faq"
    r"|table of contents|contents|requirements|dependencies|what\b.*\bnot\b|non-?goals|limitations|caveats"
    r"|known issues|(?:online|live) demo|try it(?: out| online)?|playground)\b",
    re.I,
)
#: a section that is a notice to the reader, not about the project (voluptuous' first section,
#: "# CONTRIBUTIONS ONLY": "I do not have time to fix issues myself …"; tzlocal's "API CHANGE!",
#: which had ended the introduction as an API reference would): skipped
_NOTICE_SECTION = re.compile(
    r"(?:contributions? only|notice|note|warning|important|attention|caution|announcement|deprecat\w*"
    r"|unmaintained|no longer maintained|maintainers? wanted|looking for (?:a |new )?maintainers?"
    r"|help wanted|archived|project status|status of (?:the|this) project|api changes?|breaking changes?)\b",
    re.I,
)


def _about(title: str, name: str) -> bool:
    """A section about the project: Overview, Introduction …, or About (What is) the project."""
    title = title.strip(" *_`:").lower()
    if title in ("about", "overview", "introduction", "intro", "description", "summary"):
        return True
    subject = re.sub(r"^(?:about|what is)\s+", "", title).strip(" ?")
    return bool(name) and subject != title and subject.replace("-", "_") == name.lower().replace("-", "_")


#: a section that goes on with the introduction (tzlocal's "Info"; not its "What it's not for")
_INTRO_SECTION = re.compile(
    r"^(?:about|overview|introduction|intro|info|information|description|summary|what\b(?!.*\bnot\b)|why\b"
    r"|features|motivation|usage)",
    re.I,
)


#: a heading that says the project's state wherever in it (python-rsa's first heading, "Python-RSA
#: has been archived", over its maintainer's farewell, which had become its description)
_STATE_NOTICE = re.compile(
    r"\b(?:(?:has been|is now|is) archived|deprecated|unmaintained|no longer (?:maintained|developed)"
    r"|end of life)\b",
    re.I,
)


def _entered(title: str, intro: bool, titled: bool, repeated: str | None = None) -> tuple[bool, bool, bool]:
    """(a notice section, the introduction goes on, a title seen) below the heading ``title``: a
    notice to the reader is skipped, the introduction going on after it as before it; past a
    repeated description (``repeated``: the project's name), only a section about the project."""
    if _NOTICE_SECTION.match(title.strip(" *_`:")) or _STATE_NOTICE.search(title):
        return True, intro, titled
    if repeated is not None and not _about(title, repeated):
        return False, False, True
    return False, _intro_after(title, intro, first=not titled), True


def _intro_after(title: str, intro: bool, *, first: bool = False) -> bool:
    """Whether the README's introduction goes on under the heading ``title``; the ``first`` is
    the project's name unless it is a section's whole title (installer's "# installer" is no
    Installation section)."""
    title = title.strip(" *_`:")
    if _INTRO_SECTION.match(title):
        return True
    other = _OTHER_SECTION.fullmatch(title) if first else _OTHER_SECTION.match(title)
    return intro and not other


#: words of a lead-in that can describe the project (``To see demo output, run:`` cannot)
LEAD_WORDS = 8
#: a lead-in that tells the reader what to do, not what the project is
_INSTRUCTION = re.compile(
    r"(?:to|you|run|install|use|try|first|then|for|here|see|simply|just|in order|with|if|when|below)\b", re.I
)


def _describes(lead_in: str) -> bool:
    """A sentence-long lead-in that says what the project is (``X is a … including:``), not what
    to do (``You can install it from PyPI with pip:``; halo's "Alternatively, you can use halo with
    Python's `with` statement:", under its Usage, had been its description)."""
    words = lead_in.lstrip("*_ ")
    return (
        len(lead_in.split()) >= LEAD_WORDS
        and not _INSTRUCTION.match(words)
        and not _TO_READER.search(words)
        and not _ABOUT_EXAMPLE.search(words)
    )


#: a sentence telling the reader what they can do (not xmltodict's "makes working with XML feel
#: like you are working with JSON")
_TO_READER = re.compile(r"\byou\s+(?:can|could|may|might|should|need|must|will|have to|want)\b", re.I)
#: a sentence about the example beside it (untangle's "Running the above code and passing this
#: XML:", under its Usage, had been its description)
_ABOUT_EXAMPLE = re.compile(r"\b(?:the above|above code|as above|below)\b", re.I)


def _heading(line: str) -> bool:
    """A Markdown heading or an RST title's underline."""
    return line.startswith("#") or re.fullmatch(r"[=\-~^*#`'\"]{3,}", line) is not None


def _not_prose(line: str) -> bool:
    """Headings, badges (an image's link, also of an HTML image: alive-progress' donate buttons,
    ``[<img align="right" …>](https://…)``, were its description), HTML, tables, rules, list items,
    quotes; a line that starts with emphasis (``*attrs* is the Python package …``, ``**bold**``)
    or inline code (```xmltodict` is …``) is prose."""
    return bool(
        line.startswith(("#", "[!", "[<", "![", ":", "|", "=", "~", ">"))
        or (line.startswith("<") and not re.match(r"<(?:https?|mailto):", line))  # not a link's URL
        or re.match(r"\[[^\]]+\]:\s*\S", line)  # a link's definition: [badge]: https://…
        or re.match(r"[^\[\]()]*\]\([^)\s]*\)\]\(", line)  # a badge's end, its alt text wrapped: defusedxml's
        or re.match(r"[-*+](?:\s|$)", line)
        or re.fullmatch(r"[=\-~^*#`'\"]{3,}", line)
        or _REFERENCES_ONLY.fullmatch(line)
    )


#: a line of reST link references alone (uritemplate's ``Documentation_ -- GitHub_ -- Travis-CI_``);
#: one alone is a paragraph's line (text-unidecode's `` `Text::Unidecode <http://…>`_ `` mid-sentence)
_REF = r"(?:`[^`]+`_|[A-Za-z][\w.-]*_)_?"
_REFERENCES_ONLY = re.compile(rf"{_REF}(?:\s*(?:--|—|–|\||·|-|,|/)?\s*{_REF})+")


#: a line of Markdown links alone opening a paragraph (inside one they are its words: jsonpointer's
#: "… according to\n[RFC 6901](…)"): where to read more (untangle's ``[Documentation](http://…)``
#: line under its badges was its description, "Documentation"; rich's links to its translations,
#: a line each, " • [简体中文 readme](…)")
_LINK = r"\[[^\]]+\]\([^)\s]+\)"
_LINKS_ONLY = re.compile(rf"(?:[|·•,/-]\s*)?{_LINK}(?:\s*(?:\||·|•|-|–|—|,|/)?\s*{_LINK})*")


#: a copyright or licence text (ply's README opens with its copyright and BSD licence, which was
#: its description: "Copyright (C) 2001-2018 David M. Beazley (Dabeaz LLC) All rights reserved.")
_LEGAL = re.compile(
    r"\W*(?:copyright\b|\(c\)|©|all rights reserved|redistribution and use\b|permission is hereby granted"
    r"|this software is provided\b)",
    re.I,
)


def _notice(paragraph: str) -> bool:
    """A paragraph all in bold (tenacity: ``**Please refer to the** … **for a better experience.**``)
    or nearly (a banner opening in bold: jedi's "**I released the successor to Jedi: …** - Zuban")
    or all in emphasis (tomli's ``**Table of Contents**  *generated with [mdformat-toc](…)*``), or
    a copyright or licence text (:data:`_LEGAL`), or an author's name and address alone
    (defusedxml's "Christian Heimes <christian@python.org>" under its badges), or an aside in
    parentheses (untangle's "(See and run examples.py or this blog post … for more info)")."""
    if (paragraph.startswith("**") and paragraph.endswith("**")) or _LEGAL.match(paragraph):
        return True
    if paragraph.startswith("(") and paragraph.endswith(")"):  # an aside: untangle's "(See and run …)"
        return True
    if _CREDIT.fullmatch(paragraph.strip()):
        return True
    banner = re.match(r"\*\*([^*]+)\*\*", paragraph)  # jedi's "**I released the successor …** - Zuban"
    if banner and len(banner[1]) >= 0.6 * len(_plain(paragraph)):
        return True
    if _LABELLED_NOTICE.match(paragraph):  # natsort's "**NOTE**: Please see the Dropped … section"
        return True
    return paragraph.startswith(("*", "_")) and not _EMPHASIS.sub("", paragraph).strip()


#: a name and an e-mail address, nothing else (``Christian Heimes \<<christian@python.org>\>``)
_CREDIT = re.compile(r"(?:[^\s<>@]+ ){1,4}[\\<(\[]*(?:mailto:)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+[\\>)\]]*")

#: a paragraph labelled as a notice to the reader: ``**NOTE**:``, ``Warning:``
_LABELLED_NOTICE = re.compile(
    r"[*_]*(?:note|warning|important|attention|caution|deprecated|tip)[*_]*\s*:", re.I
)
#: a bold or emphasised span (``**…**``, ``*…*``, ``__…__``, ``_…_``)
_EMPHASIS = re.compile(r"(\*\*|__)[^*_]+?\1|([*_])[^*_]+?\2")


def _plain(paragraph: str) -> str:
    """Links as their text: RST ```pytest`_``, ```text <url>`_``, Markdown ``[text](url)``,
    ``[text][ref]`` and ``[text]`` (markdown-it-py: ``[markdown-it]``); an RST literal as
    Markdown's (num2words' ````42```` as ```42```)."""
    paragraph = re.sub(r"``([^`]+)``", r"`\1`", paragraph)
    paragraph = re.sub(r"`([^`<]+?)\s*<[^>`]+>`__?", r"\1", paragraph)
    paragraph = re.sub(r"(?<!`)`([^`]+)`__?(?!\w)", r"\1", paragraph)
    paragraph = re.sub(r"(?<!!)\[([^\]]+)\]\([^)\s]+\)", r"\1", paragraph)
    return re.sub(r"(?<![!\w\]])\[([^\]\[]+)\](?:\[[^\]]*\])?(?![(:])", r"\1", paragraph)
