"""``prp init``'s description from the README (``prp_tasks.intake.init.readme``): the first
paragraph of prose of its introduction, not headings, badges, notices, lists, code or a lead-in
telling what to do."""

from __future__ import annotations

from prp_tasks.intake.init.readme import first_paragraph
from tests.unit.test_init import README


def test_the_first_paragraph_skips_headings_badges_and_html() -> None:
    assert first_paragraph(README) == "Slugs turns any title into a URL slug and back again."
    rst = "Click\n=====\n\n.. image:: x.png\n\nClick is a package.\nIt composes.\n"
    assert first_paragraph(rst) == "Click is a package. It composes."
    assert first_paragraph("# Only a title\n") == ""
    # alive-progress: its donate buttons, HTML images in links, had been its description
    buttons = '[<img align="right" src="https://x/b.png">](https://x/d)\n\n# A\n\nA shows progress.\n'
    assert first_paragraph(buttons) == "A shows progress."
    # halo: a lead-in telling the reader what to do, under its Usage, had been its description
    halo = "# halo\n\n> Spinners\n\n## Usage\n\nAlternatively, you can use halo with Python's `with` code:\n"
    assert first_paragraph(halo) == ""
    xmltodict = "`x` makes working with XML feel like you are working with JSON, as in this spec:\n"
    assert (
        first_paragraph(xmltodict)
        == "`x` makes working with XML feel like you are working with JSON, as in this spec."
    )


def test_the_first_paragraph_skips_code_comments_and_notices_and_keeps_link_text() -> None:
    xmltodict = "# xmltodict\n\n`xmltodict` is a Python module that makes XML feel like JSON.\n"
    assert first_paragraph(xmltodict) == "`xmltodict` is a Python module that makes XML feel like JSON."
    bidict = ".. (Sphinx comment: the docs\n   are often used to show this doc.)\n\nbidict: the mapping.\n"
    assert first_paragraph(bidict) == "bidict: the mapping."
    fenced = "```python\nimport x\n\nx.y()\n```\n\nX does y.\n"
    assert first_paragraph(fenced) == "X does y."
    tenacity = (
        "**Please refer to the** `docs`_ **for a better experience.**\n\nTenacity retries. It forks `a fork\n"
        "<https://github.com/x/y>`_ which is no longer `maintained <https://j.info/>`_. So.\n"
    )
    assert first_paragraph(tenacity) == "Tenacity retries. It forks a fork which is no longer maintained. So."
    pluggy = (
        "This is the framework used by the `pytest`_, `tox <https://tox.wiki>`_ and [devpi](https://d.io).\n"
    )
    assert first_paragraph(pluggy) == "This is the framework used by the pytest, tox and devpi."
    websockets = ".. _WebSocket: https://x.org\n\nwebsockets is for building WebSocket_ servers.\n"
    assert first_paragraph(websockets) == "websockets is for building WebSocket servers."
    names = "Uses `__init__` and my_var_x, with class_ and ``type_`` kept.\n"
    assert first_paragraph(names) == "Uses `__init__` and my_var_x, with class_ and `type_` kept."
    mdit = "> Markdown parser done right.\n\nFollows the [CommonMark spec][spec] and [markdown-it].\n"
    assert first_paragraph(mdit) == "Follows the CommonMark spec and markdown-it."
    termcolor = "## Demo\n\nTo see demo output, run:\n\n```bash\npython -m termcolor\n```\n\nColours text.\n"
    assert first_paragraph(termcolor) == "Colours text."  # a lead-in to code is no description
    assert first_paragraph("# T\n\n    pip install x\n\nReal prose.\n") == "Real prose."  # prettytable
    iniconfig = (
        "iniconfig: brain-dead simple parsing of ini files\n=====\n\n"
        "iniconfig is a small and simple INI-file parser module\nhaving a unique set of features:\n\n"
        "* maintains order\n\nBasic Example\n=====\n\n"
        "The ``IniConfig()`` constructor preserves inline comments.\n"
    )
    assert first_paragraph(iniconfig) == (
        "iniconfig is a small and simple INI-file parser module having a unique set of features."
    )
    boltons = (  # a lead-in saying what the project is wins over the docs link after its list
        "# Boltons\n\n**Boltons** is a set of over 230 BSD-licensed, pure-Python utilities\nin the same "
        "spirit as the [standard library][stdlib], including:\n\n  * [Atomic file saving][atomic],\n"
        "    bolted on\n\n**[Full and extensive docs are available on Read The Docs.][rtd]** "
        "See\nwhat's new.\n"
    )
    assert first_paragraph(boltons) == (
        "**Boltons** is a set of over 230 BSD-licensed, pure-Python utilities in the same spirit as the "
        "standard library."
    )
    install = (
        "# X\n\nYou can install the latest release from PyPI with pip:\n\n    pip install x\n\nX parses.\n"
    )
    assert first_paragraph(install) == "X parses."  # a lead-in telling what to do is none
    tomli = (
        "# Tomli\n\n> A lil' TOML parser\n\n**Table of Contents**  *generated with [mdformat-toc](https://x)*\n\n"
        "- [Intro](#intro)\n\n## Intro\n\nTomli is a Python library for parsing TOML.\n"
    )
    assert first_paragraph(tomli) == "Tomli is a Python library for parsing TOML."  # the TOC notice is none


def test_the_description_comes_from_the_readmes_introduction_not_a_note_after_its_installation() -> None:
    """termcolor 3.3.0: no prose before Installation; its first was a note under "Text
    properties". munch 4.0.0: its description is the first paragraph under Usage."""
    termcolor = (
        "# termcolor\n\n[![PyPI](https://x)](https://y)\n\n## Installation\n\n```bash\npip install x\n```\n\n"
        "## Example\n\n```python\nimport termcolor\n```\n\n## Text properties\n\n| a | b |\n\n"
        "You can also use any arbitrary RGB color specified as a tuple.\n"
    )
    assert first_paragraph(termcolor) == ""
    munch = "munch\n=====\n\nInstallation\n-----\n\n```\npip install munch\n```\n\n"
    munch += "Usage\n-----\n\nmunch is a fork.\n"
    assert first_paragraph(munch) == "munch is a fork."
    assert first_paragraph("# X\n\n## Install\n\npip it.\n\n## Overview\n\nX does y.\n") == "X does y."
    assert first_paragraph("# X\n\n### A fast thing\n\nX is fast.\n") == "X is fast."  # a tagline heading


def test_a_paragraph_that_starts_with_emphasis_is_prose_and_a_list_is_not() -> None:
    attrs = '<p align="center">logo</p>\n\n*attrs* is the Python package that will bring back the **joy**.\n'
    assert first_paragraph(attrs) == "*attrs* is the Python package that will bring back the **joy**."
    assert first_paragraph("**Bold** opening line.\n") == "**Bold** opening line."
    assert first_paragraph("* a list item\n- another\n+ third\n\nThe prose.\n") == "The prose."


def test_a_title_that_starts_like_a_section_name_is_the_projects_name() -> None:
    """installer's README: "# installer" read as an Installation section, so its introduction
    ("This is a low-level library for installing …") was never looked at."""
    readme = (
        "# installer\n\n[![badge](https://x/y.svg)](https://x)\n\n"
        "This is a low-level library for installing a Python package from a wheel distribution.\n\n"
        "## Usage\n\nSee the docs.\n"
    )
    assert first_paragraph(readme).startswith("This is a low-level library for installing")
    assert first_paragraph("# Installation\n\nInstall it with pip, then run it.\n") == ""


def test_a_description_ending_in_a_parenthesised_sentence_gets_no_second_full_stop() -> None:
    """pyperclip: "(Only handles plain text for now.)" became "(Only handles plain text for now.).";
    markdown-it-py's "done right!" keeps its "!", and a bare phrase gets its full stop."""
    from prp_tasks.intake.init.render import _sentence

    assert _sentence("A clipboard module. (Only handles plain text for now.)") == (
        "A clipboard module. (Only handles plain text for now.)"
    )
    assert _sentence("Markdown parser done right!") == "Markdown parser done right!"
    assert _sentence("A tiny CSS parser") == "A tiny CSS parser."


def test_a_notice_section_to_the_reader_is_skipped_and_the_introduction_goes_on_after_it() -> None:
    """voluptuous 0.16.0's README opens with "# CONTRIBUTIONS ONLY" ("**What does this mean?** I do
    not have time to fix issues myself …"); its description is under the next heading."""
    readme = (
        "\n# CONTRIBUTIONS ONLY\n\n**What does this mean?** I do not have time to fix issues myself. The only"
        " way fixes will be added is by people submitting PRs.\n\n"
        "# Voluptuous is a Python data validation library\n\n[![image](https://img.shields.io/x.svg)](https://x)\n\n"
        "Voluptuous, *despite* the name, is a Python data validation library.\n\n## Contact\n\nMail me.\n"
    )
    assert first_paragraph(readme) == "Voluptuous, *despite* the name, is a Python data validation library."
    notice = "slugs\n=====\n\nWarning\n-------\n\nThis project is no longer developed.\n\n"
    assert first_paragraph(notice + "Usage\n-----\n\nslugs turns titles into slugs.\n") == (
        "slugs turns titles into slugs."
    )
    archived = (  # python-rsa 4.9.1: its maintainer's farewell had become its description
        "# Python-RSA has been archived\n\nHi folks,\n\nI'm Sybren, one of the original authors.\n\n"
        "---------\n\n# Pure Python RSA implementation\n\nPython-RSA is a pure-Python RSA implementation.\n"
    )
    assert first_paragraph(archived) == "Python-RSA is a pure-Python RSA implementation."


def test_a_lead_in_ending_a_longer_paragraph_is_left_out_with_its_list() -> None:
    """oauthlib's "OAuth often seems complicated … There are several prominent libraries …, but they
    all suffer from one or both of the following:" then a numbered list: the description ended on
    "the following." (humanize's on "It is localized to.")."""
    readme = (
        "OAuthLib\n========\n\nOAuth often seems complicated and difficult-to-implement. There are several\n"
        "prominent libraries, but they all suffer from one or\nboth of the following:\n\n1. a\n2. b\n"
    )
    assert first_paragraph(readme) == "OAuth often seems complicated and difficult-to-implement."
    one = "x\n=\n\nx is a small and simple INI-file parser module having a unique set of features:\n\n- a\n"
    assert first_paragraph(one).endswith("having a unique set of features.")  # iniconfig's: one sentence


def test_a_readme_paragraph_that_only_says_the_description_again_is_left_out() -> None:
    """texttable 1.7.0: "module to create simple ASCII tables." then "Python module to create
    simple ASCII tables"; a paragraph saying more is kept."""
    from prp_tasks.intake.init.readme import repeats as _repeats

    assert _repeats("Python module to create simple ASCII tables", "module to create simple ASCII tables.")
    assert _repeats("*bidict: the mapping*", "bidict: the mapping.")
    longer = "Python module to create simple ASCII tables, with wrapping, alignment and CJK support."
    assert not _repeats(longer, "module to create simple ASCII tables.")
    assert not _repeats("Texttable renders tables.", "")
    known = "Accurately separates a URL's subdomain, domain, and public suffix. By default, this includes …"
    assert _repeats("`tldextract` accurately separates a URL's subdomain, domain, and public suffix.", known)
    assert not _repeats("tldextract is fast.", "tldextract is fast. And small.")  # too short to tell
    # responses: reST's double backticks where the metadata has single ones
    assert _repeats("A library for mocking ``requests``.", "A library for mocking `requests`.")


def test_a_copyright_and_licence_preamble_is_no_description() -> None:
    """ply 3.11's README opens with its copyright and BSD licence text: its description was
    "Copyright (C) 2001-2018 David M. Beazley (Dabeaz LLC) All rights reserved."."""
    readme = (
        "# PLY (Python Lex-Yacc)\n\n"
        "Copyright (C) 2001-2018\nDavid M. Beazley (Dabeaz LLC)\nAll rights reserved.\n\n"
        "Redistribution and use in source and binary forms, with or without\nmodification, are permitted:\n\n"
        "* Redistributions of source code must retain the above copyright notice.\n\n"
        'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS "AS IS".\n\n'
        "Introduction\n============\n\n"
        "PLY is a 100% Python implementation of lex and yacc. Here are a few highlights:\n\n"
        " -  PLY is very closely modeled after traditional lex/yacc.\n"
    )
    assert first_paragraph(readme) == "PLY is a 100% Python implementation of lex and yacc."


def test_a_paragraph_repeating_the_description_gives_way_to_the_next_about_the_project() -> None:
    """dill's README opens with its summary, "serialize all of Python", then an "About Dill"
    section; croniter's repeats its summary with "the" and "a" more and goes on with usage and
    "About DST", which do not describe the project; natsort's next paragraph is a NOTE."""
    known = "serialize all of Python"
    dill = "dill\n====\nserialize all of Python\n\nAbout Dill\n----------\n``dill`` extends pickle.\n"
    assert first_paragraph(dill, known, "dill") == "`dill` extends pickle."  # an RST literal as Markdown's
    assert first_paragraph(dill) == "serialize all of Python"
    cron = (
        "Introduction\n============\n\ncroniter provides iteration for the datetime object with a cron "
        "like format.\n\nWebsite: https://github.com/pallets-eco/croniter\n\nAbout DST\n=========\n"
        "Be sure to init your croniter instance with a TZ aware datetime.\n"
    )
    assert (
        first_paragraph(cron, "croniter provides iteration for datetime object with cron like format.") == ""
    )
    natsort = (
        "natsort\n=======\n\nSimple natural sorting.\n\n**NOTE**: Please see the Dropped APIs section.\n"
    )
    assert first_paragraph(natsort, "Simple natural sorting", "natsort") == ""
    pydash = "The kitchen sink of `Lo-Dash <https://lodash.com>`_  Javascript library.\n"
    assert first_paragraph(pydash, "The kitchen sink of Lo-Dash Javascript library.") == ""


def test_a_sentence_a_list_completes_is_read_with_its_items() -> None:
    """dotmap's "`DotMap` is a dot-access `dict` subclass that" and the list after it; the
    description had ended on "that"."""
    readme = (
        "# Features\n\n`DotMap` is a dot-access `dict` subclass that\n\n-   has dynamic hierarchy creation\n"
        "-   can be initialized with keys\n-   is ordered by insertion\n\nThe key feature is dot-access\n"
    )
    assert first_paragraph(readme) == (
        "`DotMap` is a dot-access `dict` subclass that has dynamic hierarchy creation, can be "
        "initialized with keys, is ordered by insertion."
    )


def test_a_sentence_ending_on_at_is_completed_by_the_link_after_it_else_left_out() -> None:
    """distlib's "… packaging tools. The documentation is available at" and its URL on a
    line of its own: the description ended on "at"."""
    readme = (
        "What is it?\n-----------\n\nDistlib is a library. It is intended for packaging tools. The "
        "documentation is available at\n\nhttps://distlib.readthedocs.io/\n"
    )
    assert first_paragraph(readme) == (
        "Distlib is a library. It is intended for packaging tools. The documentation is available at "
        "https://distlib.readthedocs.io/"
    )
    other = readme.replace("https://distlib.readthedocs.io/", "Read the docs.")
    assert first_paragraph(other) == "Distlib is a library. It is intended for packaging tools."


def test_a_paragraph_opening_with_the_description_keeps_only_what_it_adds() -> None:
    """emoji's README: "Emoji for Python.  This project was inspired by kyokomi." after the
    description "Emoji for Python."; fastjsonschema's only prose, "See `documentation <…>`_.", is none."""
    from prp_tasks.intake.init.readme import without_repeat

    said = "Emoji for Python.  This project was inspired by kyokomi."
    assert without_repeat(said, "Emoji for Python.") == "This project was inspired by kyokomi."
    assert without_repeat("Emoji for Python", "Emoji for Python.") == ""
    assert without_repeat("Emoji is fun. It has faces.", "Emoji for Python.") == "Emoji is fun. It has faces."
    assert first_paragraph("fastjsonschema\n==============\n\nSee `documentation <https://x>`_.\n") == ""


def test_an_api_change_notice_and_a_what_it_is_not_section_do_not_end_or_give_the_description() -> None:
    """tzlocal: its "API CHANGE!" section ended the introduction (read as an API reference) and
    its "What it's not for" section gave the description, not its "Info"."""
    readme = (
        "tzlocal\n=======\n\nAPI CHANGE!\n-----------\n\nWith version 3.0 of tzlocal, tzlocal no longer "
        "returned `pytz` objects.\n\nInfo\n----\n\nThis Python module returns the IANA time zone name "
        "for your local time zone.\n\nWhat it's not for\n-----------------\n\nIt's not for converting "
        "the current time between UTC and your local time.\n"
    )
    assert (
        first_paragraph(readme)
        == "This Python module returns the IANA time zone name for your local time zone."
    )
    without_info = readme.split("Info\n")[0] + readme.split("for your local time zone.\n\n")[1]
    assert first_paragraph(without_info) == ""  # what it is not for is no description


def test_a_line_of_link_references_is_no_prose_and_a_lead_in_to_code_is_left_out() -> None:
    """uritemplate: "Documentation_ -- GitHub_ -- Travis-CI_" was its description; the paragraph
    after it ends "The API looks like" before a code block."""
    readme = (
        "uritemplate\n===========\n\nDocumentation_ -- GitHub_ -- Travis-CI_\n\n"
        "Simple python library to deal with `URI Templates`_. The API looks like\n\n"
        ".. code-block:: python\n\n    from uritemplate import URITemplate\n"
    )
    assert first_paragraph(readme) == "Simple python library to deal with URI Templates."
    # one reference alone on a line is part of its paragraph: text-unidecode's had become "Perl library."
    unidecode = (
        "text-unidecode is the most basic port of the\n`Text::Unidecode <http://search.cpan.org/~sburke/>`_\n"
        "Perl library.\n"
    )
    assert (
        first_paragraph(unidecode)
        == "text-unidecode is the most basic port of the Text::Unidecode Perl library."
    )


def test_a_readme_paragraph_that_says_the_description_and_more_is_the_description_alone() -> None:
    """email-validator: "A robust email address syntax and deliverability validation library." then
    the README's "… library for Python 3.10+ by Joshua Tauberer."; python-benedict's metadata and
    README say the same sentence, the README's with emphasis and two formats more: both were
    written, one under the other."""
    from prp_tasks.intake.init.readme import described

    summary = "A robust email address syntax and deliverability validation library."
    readme = f"{summary[:-1]} for Python 3.10+ by Joshua Tauberer."
    assert described(summary, readme) == readme
    summary = (
        "python-benedict is a dict subclass with keylist/keypath/keyattr support, normalized I/O "
        "operations (base64, csv, ini, json, pickle, plist, query-string, toml, xls, xml, yaml) and "
        "many utilities... for humans, obviously."
    )
    readme = (
        "python-benedict is a dict subclass with **keylist/keypath/keyattr** support, **I/O** shortcuts "
        "(`base64`, `cli`, `csv`, `html`, `ini`, `json`, `pickle`, `plist`, `query-string`, `toml`, "
        "`xls`, `xml`, `yaml`) and many **utilities**... for humans, obviously."
    )
    assert described(summary, readme) == readme
    other = "It parses addresses as RFC 5322 says, and checks that the domain takes mail."
    assert described(summary, other) == f"{summary}\n\n{other}"  # the README adds: both
    assert described(summary, "") == summary


def test_a_demo_section_ends_the_introduction() -> None:
    """dateparser: its introduction is a bold tagline and a list of features; its "Online demo"
    section's call to action, "Do you want to try it out without installing any dependency? …",
    was its description."""
    readme = (
        "Key Features\n============\n\n- Support for almost every date format.\n\n"
        "Online demo\n===========\n\n"
        "Do you want to try it out without installing any dependency? Now you can test it quickly by "
        "visiting this online demo!\n"
    )
    assert first_paragraph(readme, "Date parsing library", "dateparser") == ""


def test_a_banner_opening_in_bold_is_no_description() -> None:
    """jedi 0.20.1: its README opens with an announcement, "**I released the successor to Jedi: A
    Mypy-Compatible Python Language Server Built in Rust** - Zuban", which became its description
    over "Jedi is a static analysis tool for Python …"."""
    readme = (
        "####\nJedi\n####\n\n**I released the successor to Jedi: A\nMypy-Compatible Python Language Server "
        "Built in Rust** - `Zuban <https://github.com/zubanls/zuban>`_\n\n.. image:: http://x/y.svg\n\n"
        "Jedi is a static analysis tool for Python that is typically used in\nIDEs/editors plugins.\n"
    )
    assert (
        first_paragraph(readme)
        == "Jedi is a static analysis tool for Python that is typically used in IDEs/editors plugins."
    )


def test_badges_with_wrapped_alt_text_and_an_authors_address_are_no_description() -> None:
    """defusedxml 0.7.1's README.md (pandoc's): ``[![Code style:`` then ``black](https://img…)](…)``
    on the next line, then ``Christian Heimes \\<<christian@python.org>\\>``: the badge's end had
    been its description."""
    readme = (
        "# defusedxml -- defusing XML bombs\n[![Latest\nVersion](https://img.shields.io/pypi/v/d.svg)]"
        "(https://pypi.org/project/d/)\n[![Code style:\nblack](https://img.shields.io/badge/b.svg)]"
        "(https://github.com/psf/black)\n\nChristian Heimes \\<<christian@python.org>\\>\n\n"
        "The results of an attack on a vulnerable XML library can be fairly dramatic.\n"
    )
    assert (
        first_paragraph(readme)
        == "The results of an attack on a vulnerable XML library can be fairly dramatic."
    )
    assert first_paragraph("# x\n\nSend mail to jo@x.org to report a problem with x.\n") == (
        "Send mail to jo@x.org to report a problem with x."
    )


def test_links_asides_and_what_a_code_example_shows_are_no_description() -> None:
    """untangle 1.3.0: its introduction is badges, a ``[Documentation](…)`` line and a list; its
    description had been "Documentation", then its Usage's "(See and run examples.py …)", "Running
    the above code and passing this XML:" and the rest of that sentence after the XML."""
    readme = (
        "# untangle\n\n[![Build](https://x/b.svg)](https://x)\n\n[Documentation](http://docs/x)\n\n"
        "* Converts XML to a Python object.\n* Siblings are grouped.\n\n## Usage\n\n"
        "(See and run [examples.py](https://x/e.py) or this blog post for more info)\n\n"
        "```python\nimport untangle\n```\n\nRunning the above code and passing this XML:\n\n"
        "```xml\n<root/>\n```\n\nallows it to be navigated from the `untangle`d object like this.\n"
    )
    assert first_paragraph(readme) == ""
    assert first_paragraph("# X\n\n[Docs](https://d) | [Code](https://c)\n\nX parses things.\n") == (
        "X parses things."
    )
    rich = "# rich\n\n[English readme](https://e)\n • [简体中文 readme](https://c)\n\nRich is a library.\n"
    assert first_paragraph(rich) == "Rich is a library."
    in_prose = "# jp\n\nLibrary to resolve JSON Pointers according to\n[RFC 6901](https://r)\n"
    assert first_paragraph(in_prose) == "Library to resolve JSON Pointers according to RFC 6901"
    after_code = "# X\n\n```\nx = 1\n```\n\nstarts lowercase after code.\n\nX parses things.\n"
    assert first_paragraph(after_code) == "X parses things."


def test_an_html_comment_is_not_read() -> None:
    """beartype 0.23.1: its README.md opens with an HTML comment holding a licence banner, which
    a rendered README does not show; it had been the description."""
    readme = (
        '<!--\n----( LICENSE )----\nCopyright (c) 2014-2026 Beartype authors.\nSee "LICENSE".\n-->\n'
        "# beartype\n\n**Beartype** is a type checker. <!-- an aside -->\n"
    )
    assert first_paragraph(readme) == "**Beartype** is a type checker."
