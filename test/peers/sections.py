#!/usr/bin/python3
"""Run a peer's own test script one section at a time, so one failure does
not hide the results of the checks after it.

tini's test/run_inner_tests.py and test/run_outer_tests.py are each one
main() whose asserts stop at the first failure, and ci/run_build.sh's smoke
checks are one `set -e` loop. This driver runs their unmodified statements,
grouped into sections, and prints one line per section:

    PEER-RESULT {"suite": ..., "section": ..., "ok": true|false, "error": ...}

Usage:
    sections.py py SUITE SCRIPT     sections of SCRIPT's main() (Python 3)
    sections.py py-each SUITE SCRIPT [ARGS]  every top-level call or loop of main()
                                    after its assignments is a section (run_outer_tests.py)
    sections.py sh SUITE SCRIPT     the smoke checks of tini's ci/run_build.sh

Sections of main(): the leading assignments are the set-up (run first, in
the shared namespace); every compound statement (if/for/while/with) is a
section of its own; a bare print(...) call starts a section that takes the
simple statements after it. A section is named by the first string literal of
the first print() inside it.
"""
import ast
import json
import os
import re
import subprocess
import sys
import traceback


def emit(suite, section, ok, error=None):
    print('PEER-RESULT ' + json.dumps(
        {'suite': suite, 'section': section, 'ok': ok, 'error': error}), flush=True)


def first_print_text(nodes):
    for node in nodes:
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
                    and sub.func.id == 'print' and sub.args):
                for lit in ast.walk(sub.args[0]):
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        return lit.value.strip()
    return None


def is_print(stmt):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == 'print')


def run_py(suite, script, each=False):
    source = open(script).read()
    tree = ast.parse(source, script)
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'main')
    module_body = [n for n in tree.body
                   if not (isinstance(n, ast.If) and 'main' in ast.dump(n.test))]
    ns = {'__name__': 'peer_suite', '__file__': os.path.abspath(script)}
    exec(compile(ast.Module(body=module_body, type_ignores=[]), script, 'exec'), ns)

    def setup_done(setup, stmt):  # py-each: every call or loop after the assignments
        return isinstance(stmt, (ast.For, ast.Expr, ast.If))

    def announces(stmt):  # a statement whose first print() says "Running ..."
        text = first_print_text([stmt])
        return text is not None and re.match(r'(?i)running ', text) is not None

    # [name or None (unreported glue), statements]
    setup, sections, current = [], [], None
    for stmt in main.body:
        if each and sections is not None and setup_done(setup, stmt):
            current = None
            sections.append([first_print_text([stmt]) or ast.unparse(stmt).splitlines()[0], [stmt]])
        elif announces(stmt):
            current = [first_print_text([stmt]), [stmt]]
            sections.append(current)
        elif current is not None and is_print(current[1][0]):
            current[1].append(stmt)  # a `print("Running ...")` section takes what follows
        elif not sections:
            setup.append(stmt)
        else:
            current = None
            sections.append([None, [stmt]])  # e.g. `tests = [...]` between two sections

    def run(nodes):
        code = compile(ast.Module(body=nodes, type_ignores=[]), script, 'exec')
        exec(code, ns)

    run(setup)
    for name, nodes in sections:
        if name is None:
            try:
                run(nodes)
            except BaseException as exc:
                traceback.print_exc()
                emit(suite, 'set-up: ' + ast.unparse(nodes[0]).splitlines()[0], False, repr(exc))
            continue
        if name.startswith('---'):
            continue
        if os.environ.get('PEER_SKIP') and re.search(os.environ['PEER_SKIP'], name):
            emit(suite, name, False, 'skipped (PEER_SKIP)')
            continue
        try:
            run(nodes)
            emit(suite, name, True)
        except BaseException as exc:  # AssertionError, Exception from Command.run, SystemExit...
            traceback.print_exc()
            emit(suite, name, False, '%s: %s' % (type(exc).__name__, str(exc).strip()[:400]))
        sys.stdout.flush()


def run_sh(suite, script):
    """The smoke checks of tini's ci/run_build.sh: the body of its
    `for tini in ...` loop, non-MINIMAL branch, one check per `echo "Testing`
    line, each in `bash -euo pipefail` with $tini set (as in the script)."""
    lines = open(script).read().splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(r'\s*for tini in ', l))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == '  done')
    body = lines[start + 1:end]
    # Keep the else branch of `if [[ -n "${MINIMAL:-}" ]]` (tini-ts has its options).
    out, mode = [], 'keep'
    for l in body:
        if re.match(r'\s*if \[\[ -n "\$\{MINIMAL:-\}" \]\]; then', l):
            mode = 'drop'
            continue
        if mode == 'drop' and re.match(r'^    else$', l):
            mode = 'else'
            continue
        if mode == 'else' and re.match(r'^    fi$', l):
            mode = 'keep'
            continue
        if mode != 'drop':
            out.append(l)
    chunks, current = [], None
    for l in out:
        m = re.match(r'\s*echo "((?:Testing|Checking|Smoke).*)"\s*$', l)
        if m:
            current = [m.group(1), []]
            chunks.append(current)
        elif current is not None:
            current[1].append(l)
    for name, code in chunks:
        name = name.replace('${tini}', 'tini').replace('$tini', 'tini')
        r = subprocess.run(['bash', '-c', 'set -euo pipefail\n' + '\n'.join(code)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = r.stdout.decode(errors='replace')
        sys.stdout.write(output)
        emit(suite, name, r.returncode == 0,
             None if r.returncode == 0 else 'exit %d: %s' % (r.returncode, output.strip()[-400:]))


if __name__ == '__main__':
    kind, suite, script = sys.argv[1:4]
    sys.argv = [script] + sys.argv[4:]  # the script's own argv (run_outer_tests.py IMAGE)
    if kind == 'sh':
        run_sh(suite, script)
    else:
        run_py(suite, script, each=(kind == 'py-each'))
