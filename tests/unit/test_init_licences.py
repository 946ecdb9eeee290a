"""The licence ``prp init`` writes (``prp_tasks.intake.init.licences``): the metadata's SPDX id,
else what the licence text reads as."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.detect import detect
from prp_tasks.intake.init.licences import recognised_licence
from tests.unit.test_init import parsed, write


def test_a_licence_name_that_is_no_spdx_id_gives_way_to_the_recognised_text(tmp_path: Path) -> None:
    """decorator's setup.py says ``new BSD License`` over a BSD-2-Clause LICENSE.txt;
    python-json-logger's metadata ``BSD-2-Clause License``."""
    bsd2 = "Copyright\n\nRedistribution and use in source and binary forms, with or without\n"
    write(tmp_path, {"setup.py": "setup(name='decorator', license='new BSD License')\n", "LICENSE.txt": bsd2})
    assert detect(tmp_path).license == (
        "BSD-2-Clause",
        "LICENSE.txt (recognised text; setup.py license says 'new BSD License')",
    )
    (tmp_path / "LICENSE.txt").unlink()
    assert detect(tmp_path).license == ("new BSD License", "setup.py license")  # nothing better known
    write(tmp_path, {"setup.py": "setup(name='pjl', license='BSD-2-Clause License')\n"})
    assert detect(tmp_path).license == ("BSD-2-Clause", "setup.py license")


def test_the_licence_is_the_one_whose_title_comes_first() -> None:
    """Unidecode's GPL-2.0 text names the "GNU Lesser General Public License" on its line 18: it
    had read as LGPL-3.0-or-later."""
    gpl2 = (
        "GNU GENERAL PUBLIC LICENSE\n Version 2, June 1991\n\n... (Some other Free Software Foundation "
        "software is covered by the GNU Lesser General Public License instead.)\n"
    )
    assert recognised_licence(gpl2) == "GPL-2.0-or-later"
    assert recognised_licence("GNU LESSER GENERAL PUBLIC LICENSE\n Version 2.1, February 1999\n") == (
        "LGPL-2.1-or-later"
    )
    assert recognised_licence("GNU LESSER GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n") == (
        "LGPL-3.0-or-later"
    )
    bsd3 = "Redistribution and use in source and binary forms ... Neither the name of the copyright holder"
    assert recognised_licence(bsd3) == "BSD-3-Clause" and recognised_licence("no licence") is None


def test_a_licence_file_holding_two_licences_gives_both(tmp_path: Path) -> None:
    """python-dateutil's LICENSE: Apache-2.0, a rule, then BSD-3-Clause "applies to all code, even
    that also covered by Apache 2.0"; it read as Apache-2.0 alone."""
    apache = "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\nTERMS\n"
    bsd3 = (
        "The above license applies to all contributions after 2017-12-01.\n\nCopyright 2017\n"
        "Redistribution and use in source and binary forms ... Neither the name of the copyright holder\n"
    )
    write(tmp_path, {"LICENSE": f"{apache}\n{'-' * 76}\n{bsd3}", "setup.py": ""})
    assert detect(tmp_path).license == ("Apache-2.0 AND BSD-3-Clause", "LICENSE (recognised text)")


def test_a_rule_underlining_a_heading_does_not_split_the_licence(tmp_path: Path) -> None:
    """pathspec's MPL-2.0 LICENSE: its title and sections are underlined with rules, and its
    definition of a "Secondary License" names the GNU GPL: it read as MPL-2.0 AND GPL-2.0-or-later."""
    mpl = (
        f"Mozilla Public License Version 2.0\n{'=' * 34}\n\n1. Definitions\n{'-' * 14}\n\n"
        '1.12. "Secondary License"\n    means either the GNU General Public License, Version 2.0, the GNU\n'
        "    Lesser General Public License, Version 2.1, the GNU Affero General Public\n"
        f"\nExhibit A - Source Code Form License Notice\n{'-' * 43}\n\n  This Source Code Form is ...\n"
    )
    write(tmp_path, {"LICENSE": mpl, "setup.py": ""})
    assert detect(tmp_path).license == ("MPL-2.0", "LICENSE (recognised text)")


def test_the_licence_file_the_metadata_names_and_the_classifiers_are_read(tmp_path: Path) -> None:
    """ordered-set 4.1.0: ``license = {file = "MIT-LICENSE"}`` and an MIT classifier; prp init
    found no licence and wrote the default ``(Apache-2.0 OR Commercial)``."""
    mit = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"
    pyproject = (
        '[project]\nname = "ordered-set"\nlicense = {file = "MIT-LICENSE"}\n'
        'classifiers = ["License :: OSI Approved :: MIT License"]\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "MIT-LICENSE": mit})
    assert detect(tmp_path).license == ("MIT", "MIT-LICENSE (recognised text)")
    (tmp_path / "MIT-LICENSE").unlink()  # the classifier alone
    assert detect(tmp_path).license == ("MIT", "pyproject.toml classifiers")
    pkg_info = (
        "Metadata-Version: 2.1\nName: x\nClassifier: License :: OSI Approved :: Apache Software License\n"
    )
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "PKG-INFO": pkg_info})
    assert detect(tmp_path).license == ("Apache-2.0", "PKG-INFO classifiers")
    pkg_info += "Classifier: License :: OSI Approved :: MIT License\n"  # two: no choice made
    write(tmp_path, {"PKG-INFO": pkg_info})
    assert detect(tmp_path).license is None


def test_each_address_of_a_comma_separated_author_email_is_an_owner(tmp_path: Path) -> None:
    """dpath's setup.py: ``author_email="calebcase@gmail.com, andrew@aklabs.net"`` became one owner
    string, and codeowners-present passed on it."""
    setup = "setup(name='dpath', author_email='calebcase@gmail.com, andrew@aklabs.net')\n"
    write(tmp_path, {"setup.py": setup})
    assert detect(tmp_path).authors == ["calebcase@gmail.com", "andrew@aklabs.net"]
    pkg_info = "Name: x\nAuthor-email: A <a@x.org>, B <b@x.org>\n"
    write(tmp_path, {"setup.py": "", "PKG-INFO": pkg_info})
    assert detect(tmp_path).authors == ["a@x.org", "b@x.org"]


def test_authors_named_without_an_address_are_the_derived_owners(tmp_path: Path) -> None:
    """responses 0.26.3: setup.py's ``author="David Cramer"`` (PKG-INFO's ``Author: David Cramer``)
    and no address; the owners said "none found" and G3's codeowners check failed."""
    setup_py = 'from setuptools import setup\nsetup(name="responses", author="David Cramer")\n'
    write(tmp_path, {"setup.py": setup_py, "responses/__init__.py": ""})
    assert detect(tmp_path).authors == ["David Cramer"]
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name=NAME)\n")
    write(tmp_path, {"PKG-INFO": "Metadata-Version: 2.1\nName: responses\nAuthor: David Cramer\n\n"})
    assert (detect(tmp_path).authors, detect(tmp_path).authors_file) == (["David Cramer"], "PKG-INFO")


def test_a_dual_licence_is_both_licences_joined_with_or(tmp_path: Path) -> None:
    """uritemplate 4.2.0: setup.cfg says ``BSD 3-Clause OR Apache-2.0``, its LICENSE that either
    licence file applies; prp init wrote Apache-2.0 alone (LICENSE.APACHE's text)."""
    apache = "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n"
    bsd3 = "Redistribution and use in source and binary forms ... Neither the name of the author\n"
    either = (
        "This software is made available under the terms of *either* of the licenses\n"
        "found in LICENSE.APACHE or LICENSE.BSD. Contributions are made under *both*.\n"
    )
    setup_cfg = "[metadata]\nname = uritemplate\nlicense = BSD 3-Clause OR Apache-2.0\n"
    files = {"setup.cfg": setup_cfg, "LICENSE": either, "LICENSE.APACHE": apache, "LICENSE.BSD": bsd3}
    write(tmp_path, files)
    assert detect(tmp_path).license == (
        "BSD-3-Clause OR Apache-2.0",
        "setup.cfg [metadata] license 'BSD 3-Clause OR Apache-2.0'",
    )
    write(tmp_path, {"setup.cfg": "[metadata]\nname = uritemplate\n"})  # the files alone
    assert detect(tmp_path).license == ("Apache-2.0 OR BSD-3-Clause", "LICENSE (recognised text)")
    write(tmp_path, {"setup.cfg": "[metadata]\nname = x\nlicense = Apache 2.0\n"})  # no text says it
    for name in ("LICENSE", "LICENSE.APACHE", "LICENSE.BSD"):
        (tmp_path / name).unlink()
    assert detect(tmp_path).license == ("Apache-2.0", "setup.cfg [metadata] license 'Apache 2.0'")
    write(tmp_path, {"setup.cfg": "[metadata]\nname = x\nlicense = MIT License or Apache License 2.0\n"})
    assert detect(tmp_path).license == (
        "MIT OR Apache-2.0",
        "setup.cfg [metadata] license 'MIT License or Apache License 2.0'",
    )


def test_a_public_domain_dedication_naming_some_files_licences_is_no_one_licence(tmp_path: Path) -> None:
    """docutils' COPYING.rst: public domain, but for listed files, one "released under the `GNU
    General Public License`_ version 3 or later"; it read GPL-3.0-or-later. Its classifiers name
    three licences: the profile says so beside the default."""
    copying = (
        "Most of the files included in this project have been placed in the\npublic domain.\n\n"
        "* docutils/x.py: released under the `GNU General Public License`_ version 3 or later\n"
    )
    assert recognised_licence(copying) is None
    classifiers = '"License :: Public Domain", "License :: OSI Approved :: BSD License"'
    pyproject = f'[project]\nname = "docutils"\nclassifiers = [{classifiers}]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "COPYING.rst": copying})
    assert detect(tmp_path).license is None
    text, _ = parsed(tmp_path)
    assert "# default: pyproject.toml classifiers name several licences (Public Domain, BSD License)" in text


def test_an_spdx_expression_of_ids_without_a_hyphen_is_the_licence(tmp_path: Path) -> None:
    """ujson 6.1.0: ``license = "BSD-3-Clause AND TCL"``, an SPDX expression, read as no SPDX id
    (``TCL`` has no hyphen) and replaced by what its LICENSE.txt reads as, BSD-3-Clause alone."""
    bsd = "Redistribution and use in source and binary forms … Neither the name of …\n"
    pyproject = '[project]\nname = "ujson"\nlicense = "BSD-3-Clause AND TCL"\n'
    write(tmp_path, {"pyproject.toml": pyproject, "LICENSE.txt": bsd, "ujson/__init__.py": ""})
    assert detect(tmp_path).license == ("BSD-3-Clause AND TCL", "pyproject.toml license")
    write(tmp_path, {"pyproject.toml": pyproject.replace("BSD-3-Clause AND TCL", "PostgreSQL OR NCSA")})
    assert detect(tmp_path).license == ("PostgreSQL OR NCSA", "pyproject.toml license")


def test_a_bsd_text_whose_third_clause_forbids_endorsement_in_other_words_is_bsd_3_clause() -> None:
    """xlrd's LICENSE: "3. None of the names of Stephen John Machin, Lingfo Pty Ltd and any
    contributors may be used to endorse or promote products derived …" had read as BSD-2-Clause,
    the governance policy of every run."""
    xlrd = (
        "Redistribution and use in source and binary forms, with or without\nmodification, are "
        "permitted provided that the following conditions are met:\n\n3. None of the names of "
        "Stephen John Machin, Lingfo Pty Ltd and any\ncontributors may be used to endorse or "
        "promote products derived from this\nsoftware without specific prior written permission.\n"
    )
    assert recognised_licence(xlrd) == "BSD-3-Clause"
    two = "Redistribution and use in source and binary forms, with or without modification ...\n"
    assert recognised_licence(two) == "BSD-2-Clause"
