#!/usr/bin/env python3
"""Prove include/ndis/ against MinGW-w64's public ntddndis.h.

iovlab's driver-facing headers (include/ndis/) must use Microsoft's numeric
values and Windows x64 layouts (style.md, "Windows names only at the
boundary"; spec section 4).  This script is the build-time half of that proof:

  1. It reads MinGW's ntddndis.h as text and collects every object-like
     #define, every enumerator and every typedef the file declares, then asks
     clang --target=x86_64-w64-mingw32 for their values, sizes and (through
     -fdump-record-layouts) every field's offset and size, nested fields
     included.  Nothing is typed by hand, so nothing is silently skipped:
     names MinGW does not make integer constants, or hides under the
     configuration, are counted and printed.
  2. It asks clang which of those names include/ndis/*.h define (a probe that
     includes every header; macros from -dD, enumerators and typedefs from the
     JSON AST, field paths from the same record-layout dump for x86_64 Linux).
  3. It writes abi_ntddndis.c, a test program that the normal project compiler
     builds against our headers and that compares every common value, sizeof,
     offsetof and field size with MinGW's numbers (tests/abi/meson.build runs
     it as abi/ntddndis).
  4. The reverse direction: names only include/ndis defines go to
     ours_only.txt, and --check-docs (test abi/names-documented) requires each
     of them in docs/ndis-headers.md under "## Names only iovlab defines".

Modes:
  ndis_proof.py --generate OUTDIR ...   (meson custom_target)
  ndis_proof.py --check-docs LIST DOC   (meson test)
  ndis_proof.py --expect EXE EXPECTED   (meson test: the proof built against
                                         fixture/ must fail exactly so)
  ndis_proof.py --list-ours-only        (helper for whoever edits the doc; run
                                         from the source tree)

It needs clang (for both targets) and MinGW-w64's headers; a missing
ntddndis.h stops the build with a pointer to scripts/deps.sh.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

MINGW_DEFAULT = '/usr/share/mingw-w64/include/ntddndis.h'
# UM_NDIS630 is the newest NDIS level MinGW-w64's ntddndis.h knows; with it
# and Windows 10 every block of the file is visible.
MINGW_DEFINES = ['-D_WIN32_WINNT=0x0A00', '-DUM_NDIS630']
DOC_HEADING = '## Names only iovlab defines'
# Include guards and helpers that are ours by construction (the doc states it).
OURS_PRIVATE = re.compile(r'^_?IOVLAB')
# What the ours-only list covers (the issue: object-like macros, enumerators,
# struct typedefs).
OURS_ONLY_KINDS = ('macro', 'enumerator', 'typedef-record')
KIND_WORDS = {'macro': 'macro', 'macro-fn': 'function-like macro',
              'enumerator': 'enumerator', 'typedef-record': 'struct typedef',
              'typedef-other': 'typedef'}

# __builtin_classify_type() results (GCC's enum type_class, which clang keeps).
INTEGER_CLASSES = {1, 2, 3, 4}      # integer, char, enum, boolean
POINTER_CLASS = 5
RECORD_CLASSES = {12, 13}           # struct, union

IDENT = r'[A-Za-z_]\w*'


def die(msg):
    sys.stderr.write('ndis_proof: error: %s\n' % msg)
    sys.exit(2)


# --------------------------------------------------------------------------
# Reading MinGW's header text

def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
                  text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def parse_mingw_text(text):
    """Names the file itself declares: (macros, enumerators, typedefs), each a
    list in file order without duplicates."""
    text = strip_comments(text)
    macros = []
    for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(' + IDENT + r')(\(?)',
                         text, flags=re.M):
        if m.group(2) != '(' and m.group(1) not in macros:
            macros.append(m.group(1))

    # Declarations, without preprocessor lines (they sit inside enum bodies).
    decl = re.sub(r'^[ \t]*#.*$', '', text, flags=re.M)

    enumerators = []
    for m in re.finditer(r'\benum\b\s*(?:' + IDENT + r')?\s*\{([^{}]*)\}', decl):
        for item in split_top(m.group(1)):
            im = re.match(r'\s*(' + IDENT + r')', item)
            if im and im.group(1) not in enumerators:
                enumerators.append(im.group(1))

    typedefs = []
    for stmt in typedef_statements(decl):
        for name in typedef_names(stmt):
            if name not in typedefs:
                typedefs.append(name)
    return macros, enumerators, typedefs


def split_top(body):
    """Split on commas outside parentheses."""
    items, depth, cur = [], 0, ''
    for ch in body:
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        if ch == ',' and depth == 0:
            items.append(cur)
            cur = ''
        else:
            cur += ch
    items.append(cur)
    return [i for i in items if i.strip()]


def typedef_statements(text):
    for m in re.finditer(r'\btypedef\b', text):
        depth, i = 0, m.end()
        while i < len(text):
            ch = text[i]
            if ch == '{':
                depth += 1
            elif ch == '}':
                depth -= 1
            elif ch == ';' and depth == 0:
                yield text[m.end():i]
                break
            i += 1


def typedef_names(stmt):
    """Declarator names of one typedef statement that name an object type
    (pointer and function-pointer declarators are left out)."""
    if '}' in stmt:
        decls = split_top(stmt[stmt.rindex('}') + 1:])
    else:
        decls = split_top(stmt)
    names = []
    for d in decls:
        if '*' in d or '(' in d:
            continue
        d = re.sub(r'\[.*$', '', d, flags=re.S)
        ids = re.findall(IDENT, d)
        if ids:
            names.append(ids[-1])
    return names


# --------------------------------------------------------------------------
# Compiling probes

def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def error_lines(stderr, probe_name):
    """{probe line: message} for every error, located at the probe line where
    clang reports it (clang gives the expansion site in the main file; the
    notes that follow are searched too)."""
    bad = {}
    current = None
    pat = re.compile(r'^(.*?):(\d+):\d+: (error|note|warning): (.*)$')
    for line in stderr.splitlines():
        m = pat.match(line)
        if not m:
            continue
        path, lno, kind, msg = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        if kind == 'error':
            current = msg
        if kind == 'warning' or current is None:
            continue
        if os.path.basename(path) == probe_name:
            bad.setdefault(lno, current)
    return bad


class Probe:
    """A C file of one-line checks; check lines that clang rejects are
    removed and the file compiled again until it is clean."""

    def __init__(self, prologue):
        self.prologue = list(prologue)
        self.items = []           # (key, line text)

    def add(self, key, line):
        self.items.append((key, line))

    def compile(self, cmd_for, workdir, name):
        """Returns (stdout, {key: first error}).  cmd_for(path) -> argv."""
        rejected = {}
        path = os.path.join(workdir, name)
        live = list(self.items)
        for _ in range(8):
            first = len(self.prologue) + 1
            with open(path, 'w') as f:
                f.write('\n'.join(self.prologue) + '\n')
                f.write('\n'.join(l for _, l in live) + '\n')
            rc, out, err = run(cmd_for(path), cwd=workdir)
            if rc == 0:
                return out, rejected
            bad = error_lines(err, name)
            if not bad:
                die('clang failed on %s outside the generated checks:\n%s'
                    % (path, err[-4000:]))
            keep = []
            for i, (key, line) in enumerate(live):
                lno = first + i
                if lno in bad:
                    rejected[key] = bad[lno]
                else:
                    keep.append((key, line))
            if any(l < first for l in bad):
                die('clang rejected the probe prologue in %s:\n%s'
                    % (path, err[-4000:]))
            live = keep
        die('probe %s did not converge:\n%s' % (path, err[-4000:]))


def asm_values(asm):
    """{symbol: int or None} for every iovlab_* object in clang's .s."""
    vals = {}
    label = None
    for line in asm.splitlines():
        m = re.match(r'^(iovlab_\w+):', line)
        if m:
            label = m.group(1)
            continue
        if label:
            m = re.match(r'^\s*\.(quad|long|short|byte|zero)\s+(\S+)', line)
            if m:
                try:
                    v = 0 if m.group(1) == 'zero' else int(m.group(2), 0)
                except ValueError:
                    v = None        # a relocation, not an integer constant
                vals[label] = v
                label = None
    return vals


LAYOUT_LINE = re.compile(r'^\s*(\d+)(?::(\d+)-(\d+))?\s*\|( *)(.*?)\s*$')


def parse_layouts(dump):
    """{wrapper struct name: [(path, offset, bit_lo, bit_hi, type, leaf)]}
    for every `struct iovlab_w_N { T x; }`; paths are relative to x, with
    anonymous members skipped as C names them."""
    out = {}
    for block in dump.split('*** Dumping AST Record Layout')[1:]:
        lines = block.strip('\n').splitlines()
        head = LAYOUT_LINE.match(lines[0])
        if not head:
            continue
        hm = re.match(r'struct (iovlab_w_\d+)$', head.group(5))
        if not hm:
            continue
        rows = []
        for line in lines[1:]:
            m = LAYOUT_LINE.match(line)
            if not m or line.strip().startswith('|'):
                continue
            depth = len(m.group(4)) // 2
            decl = m.group(5)
            if decl.endswith(')'):
                typ, name = decl, ''             # anonymous struct/union
            else:
                typ, _, name = decl.rpartition(' ')
            rows.append([depth, int(m.group(1)),
                         None if m.group(2) is None else int(m.group(2)),
                         None if m.group(3) is None else int(m.group(3)),
                         typ, name])
        fields = []
        stack = []
        for i, (depth, off, lo, hi, typ, name) in enumerate(rows):
            leaf = i + 1 == len(rows) or rows[i + 1][0] <= depth
            del stack[depth - 1:]
            stack.append(name)
            if depth < 2:
                continue                          # `x` itself
            if not name:
                continue
            path = '.'.join(n for n in stack[1:] if n)
            fields.append((path, off, lo, hi, typ, leaf))
        out[hm.group(1)] = fields
    return out


# --------------------------------------------------------------------------
# MinGW side

def mingw_facts(mingw, clang, workdir):
    with open(mingw, encoding='latin-1') as f:
        macros, enumerators, typedefs = parse_mingw_text(f.read())
    incdir = os.path.dirname(mingw)
    base = [clang, '--target=x86_64-w64-mingw32', '-isystem', incdir,
            *MINGW_DEFINES, '-ferror-limit=0', '-fno-caret-diagnostics',
            '-Wno-everything']
    pro = ['#include <winsock2.h>', '#include <windows.h>',
           '#include <ntddndis.h>']

    # Phase A: values, typedef sizes and classes, wrappers for layouts.
    a = Probe(pro)
    names = macros + [e for e in enumerators if e not in macros]
    for i, n in enumerate(names):
        if n in macros:
            a.add(('n', i, 'ifdef'), '#ifdef %s' % n)
        a.add(('n', i), 'const long long iovlab_v_%d = (long long)(%s); '
              'const int iovlab_k_%d = __builtin_classify_type(%s);'
              % (i, n, i, n))
        if n in macros:
            a.add(('n', i, 'endif'), '#endif')
    for j, t in enumerate(typedefs):
        a.add(('t', j), 'struct iovlab_w_%d { %s x; }; '
              'const long long iovlab_s_%d = sizeof(%s); '
              'const long long iovlab_ws_%d = sizeof(struct iovlab_w_%d); '
              'const int iovlab_c_%d = __builtin_classify_type(*(%s *)0);'
              % (j, t, j, t, j, j, j, t))
    dump, rej_a = a.compile(
        lambda p: base + ['-Xclang', '-fdump-record-layouts', '-S',
                          '-o', p + '.s', p], workdir, 'mingw_a.c')
    with open(os.path.join(workdir, 'mingw_a.c.s')) as f:
        va = asm_values(f.read())
    layouts = parse_layouts(dump)

    values, not_integer, hidden = {}, {}, []
    for i, n in enumerate(names):
        v = va.get('iovlab_v_%d' % i)
        k = va.get('iovlab_k_%d' % i)
        if ('n', i) in rej_a:
            msg = rej_a[('n', i)]
            if n not in macros and 'undeclared identifier' in msg:
                hidden.append(n)
            else:
                not_integer[n] = msg
        elif v is None and k is None:
            hidden.append(n)                     # #ifdef was false
        elif v is None or k not in INTEGER_CLASSES:
            not_integer[n] = 'expands to a non-integer (type class %s)' % k
        else:
            values[n] = v

    types, incomplete = {}, []
    for j, t in enumerate(typedefs):
        if ('t', j) in rej_a:
            incomplete.append(t)
            continue
        cls = va['iovlab_c_%d' % j]
        rec = cls in RECORD_CLASSES
        types[t] = {'size': va['iovlab_s_%d' % j], 'record': rec,
                    'fields': layouts.get('iovlab_w_%d' % j, []) if rec else [],
                    'pointers': False}

    # Phase B: each field's size, and whether a leaf field is (an array of)
    # pointers.  __builtin_classify_type() decays arrays, so E, E[0], E[0][0]
    # are probed with __builtin_types_compatible_p(typeof(E), typeof(&E[0])):
    # 1 for a pointer, 0 for an array, rejected for anything else.
    b = Probe(pro)
    fkeys = []
    for t, info in types.items():
        for (path, off, lo, hi, typ, leaf) in info['fields']:
            if lo is not None:
                continue                         # bit-field: offsets from dump
            k = len(fkeys)
            fkeys.append((t, path))
            e = '((%s *)0)->%s' % (t, path)
            b.add(('z', k), 'const long long iovlab_z_%d = sizeof(%s);'
                  % (k, e))
            if not leaf:
                continue
            for d in range(3):
                ed = e + '[0]' * d
                b.add(('q', k, d), 'const int iovlab_q_%d_%d = '
                      '__builtin_types_compatible_p(__typeof__(%s), '
                      '__typeof__(&(%s)[0]));' % (k, d, ed, ed))
    _, rej_b = b.compile(lambda p: base + ['-S', '-o', p + '.s', p],
                         workdir, 'mingw_b.c')
    if any(key[0] == 'z' for key in rej_b):
        die('clang rejected MinGW field checks: %r' % list(rej_b.items())[:5])
    with open(os.path.join(workdir, 'mingw_b.c.s')) as f:
        vb = asm_values(f.read())
    fsize, fptr = {}, {}
    for k, key in enumerate(fkeys):
        fsize[key] = vb['iovlab_z_%d' % k]
        for d in range(3):
            q = vb.get('iovlab_q_%d_%d' % (k, d))
            if q != 0:
                fptr[key] = q == 1
                break

    # A record has pointers if a leaf field is a pointer or an array of them,
    # or an array of a record typedef that has them.
    for t, info in types.items():
        for (path, off, lo, hi, typ, leaf) in info['fields']:
            if fptr.get((t, path)):
                info['pointers'] = True
    for _ in range(4):
        for t, info in types.items():
            for (path, off, lo, hi, typ, leaf) in info['fields']:
                basetype = re.sub(r'\[.*$', '', typ).strip()
                other = types.get(basetype)
                if leaf and lo is None and other and other['pointers']:
                    info['pointers'] = True
    return {
        'macros': macros, 'enumerators': enumerators, 'typedefs': typedefs,
        'values': values, 'not_integer': not_integer, 'hidden': hidden,
        'types': types, 'incomplete': incomplete,
        'field_size': fsize,
    }


def cached_mingw_facts(mingw, clang, workdir):
    """MinGW's side only changes with the header, clang or this script, so
    keep it in the build dir; our headers change much more often."""
    def stamp(p):
        st = os.stat(p)
        return [p, st.st_size, st.st_mtime_ns]
    key = [stamp(mingw), stamp(os.path.abspath(__file__)), clang]
    cache = os.path.join(workdir, 'mingw_facts.json')
    try:
        with open(cache) as f:
            data = json.load(f)
        if data['key'] == key:
            facts = data['facts']
            for info in facts['types'].values():
                info['fields'] = [tuple(x) for x in info['fields']]
            facts['field_size'] = {tuple(k.split('\t')): v for k, v in
                                   facts['field_size'].items()}
            return facts
    except (OSError, ValueError, KeyError):
        pass
    facts = mingw_facts(mingw, clang, workdir)
    out = dict(facts)
    out['field_size'] = {'\t'.join(k): v for k, v in facts['field_size'].items()}
    with open(cache + '.tmp', 'w') as f:
        json.dump({'key': key, 'facts': out}, f)
    os.replace(cache + '.tmp', cache)
    return facts


# --------------------------------------------------------------------------
# Our side

def our_headers(incdir):
    d = os.path.join(incdir, 'ndis')
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if f.endswith('.h'))


def our_prologue(incdir):
    hdrs = our_headers(incdir)
    if 'ndis.h' not in hdrs:
        die('%s/ndis/ndis.h is missing' % incdir)
    # ndis.h first (it is what drivers include), then every header, so names
    # in a header ndis.h does not pull in are still seen.
    return ['#include <ndis/ndis.h>'] + \
        ['#include <ndis/%s>' % h for h in hdrs if h != 'ndis.h']


# Configurations in which names are collected for the ours-only list: the
# default (NDIS 6.30, the level MinGW's header has, where the value and
# layout proof runs) and NDIS 6.60, whose additions sit behind #if in
# include/ndis/ntddndis.h and are ours-only by nature.
OUR_NAME_CONFIGS = [[], ['-DNDIS660_MINIPORT']]


def all_our_names(clang, incdir, workdir):
    names = {}
    for cfg in OUR_NAME_CONFIGS:
        for n, v in our_names(clang, incdir, workdir, cfg).items():
            names.setdefault(n, v)
    return names


def our_names(clang, incdir, workdir, cfg=()):
    """Names include/ndis/*.h define: {name: (kind, header)} with kind in
    macro/macro-fn/enumerator/typedef-record/typedef-other."""
    ndisdir = os.path.realpath(os.path.join(incdir, 'ndis'))
    path = os.path.join(workdir, 'ours_names.c')
    with open(path, 'w') as f:
        f.write('\n'.join(our_prologue(incdir)) + '\n')
    base = [clang, '--target=x86_64-linux-gnu', '-std=c11', '-D_GNU_SOURCE',
            '-I', incdir] + list(cfg)

    def in_ours(p):
        if not p:
            return None
        rp = os.path.realpath(os.path.join(workdir, p))
        if os.path.dirname(rp) == ndisdir:
            return os.path.basename(rp)
        return None

    names = {}
    rc, out, err = run(base + ['-E', '-dD', path], cwd=workdir)
    if rc:
        die('our headers do not preprocess:\n' + err[-4000:])
    cur = None
    for line in out.splitlines():
        m = re.match(r'^# \d+ "([^"]*)"', line)
        if m:
            cur = in_ours(m.group(1))
            continue
        m = re.match(r'^#define (' + IDENT + r')(\(?)', line)
        if m and cur:
            names[m.group(1)] = ('macro-fn' if m.group(2) else 'macro', cur)
        m = re.match(r'^#undef (' + IDENT + r')', line)
        if m and cur and names.get(m.group(1), ('',))[0].startswith('macro'):
            del names[m.group(1)]

    rc, out, err = run(base + ['-fsyntax-only', '-Xclang', '-ast-dump=json',
                               path], cwd=workdir)
    if rc:
        die('our headers do not compile:\n' + err[-4000:])
    ast = json.loads(out)
    state = {'file': None}

    def see_loc(loc):
        if not isinstance(loc, dict):
            return
        for sub in ('spellingLoc', 'expansionLoc'):
            see_loc(loc.get(sub))
        if 'file' in loc:
            state['file'] = loc['file']

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
            return
        if not isinstance(node, dict):
            return
        see_loc(node.get('loc'))
        hdr = in_ours(state['file'])
        kind = node.get('kind')
        nm = node.get('name')
        if hdr and nm and not node.get('isImplicit'):
            if kind == 'EnumConstantDecl':
                names.setdefault(nm, ('enumerator', hdr))
            elif kind == 'TypedefDecl':
                qt = node.get('type', {})
                dq = qt.get('desugaredQualType', qt.get('qualType', ''))
                if '*' in dq or '(' in dq:
                    pass                         # pointer / function typedef
                elif re.match(r'(struct|union) ', qt.get('qualType', '')):
                    names.setdefault(nm, ('typedef-record', hdr))
                else:
                    names.setdefault(nm, ('typedef-other', hdr))
        for k, v in node.items():
            if k == 'loc':
                continue
            if k == 'range':
                for e in ('begin', 'end'):
                    see_loc(v.get(e))
                continue
            if isinstance(v, (dict, list)):
                walk(v)
    walk(ast.get('inner', []))
    return names


def our_probe(clang, incdir, workdir, values, types, records):
    """Compile, for x86_64 Linux, what the generated test will compile, so
    that a name our headers define but cannot evaluate becomes a reported
    mismatch instead of a build error.  Returns (layouts, rejected) with
    layouts {record typedef: [(path, offset, bit_lo, bit_hi, type, leaf)]}
    and rejected {name: clang's error}."""
    p = Probe(our_prologue(incdir))
    for i, n in enumerate(values):
        p.add(n, 'const long long iovlab_v_%d = (long long)(%s); '
              'const int iovlab_k_%d = __builtin_classify_type(%s);'
              % (i, n, i, n))
    for j, t in enumerate(types):
        p.add(t, 'const long long iovlab_s_%d = sizeof(%s);' % (j, t))
    for j, t in enumerate(records):
        p.add(t, 'struct iovlab_w_%d { %s x; }; '
              'const long long iovlab_ws_%d = sizeof(struct iovlab_w_%d);'
              % (j, t, j, j))
    base = [clang, '--target=x86_64-linux-gnu', '-std=c11', '-D_GNU_SOURCE',
            '-I', incdir, '-ferror-limit=0', '-fno-caret-diagnostics',
            '-Wno-everything']
    dump, rej = p.compile(lambda q: base + ['-Xclang', '-fdump-record-layouts',
                                            '-S', '-o', q + '.s', q],
                          workdir, 'ours_probe.c')
    with open(os.path.join(workdir, 'ours_probe.c.s')) as f:
        va = asm_values(f.read())
    for i, n in enumerate(values):
        k = va.get('iovlab_k_%d' % i)
        if n not in rej and (k not in INTEGER_CLASSES or
                             va.get('iovlab_v_%d' % i) is None):
            rej[n] = 'not an integer constant (type class %s)' % k
    lay = parse_layouts(dump)
    out = {}
    for j, t in enumerate(records):
        if t not in rej:
            out[t] = lay.get('iovlab_w_%d' % j, [])
    return out, rej


# --------------------------------------------------------------------------
# The generated test

def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_ll(v):
    return '(long long)0x%xULL' % (v & 0xFFFFFFFFFFFFFFFF)


def generate(args):
    if not os.path.isfile(args.mingw):
        die('%s not found.  It comes from the Debian package mingw-w64-common;'
            ' run `bash scripts/deps.sh` (or `make test`, which runs it).'
            % args.mingw)
    args.outdir = os.path.abspath(args.outdir)
    os.makedirs(args.outdir, exist_ok=True)
    work = os.path.join(args.outdir, 'probe')
    os.makedirs(work, exist_ok=True)
    incdir = os.path.abspath(args.include)

    mg = cached_mingw_facts(args.mingw, args.clang, work)
    ours = our_names(args.clang, incdir, work)
    ours_any = all_our_names(args.clang, incdir, work)

    common_values = [n for n in mg['values'] if n in ours
                     and ours[n][0] in ('macro', 'enumerator')]
    # Names MinGW defines but cannot be compared, yet we define too.
    ours_uncomparable = sorted(n for n in list(mg['not_integer']) + mg['hidden']
                               + mg['incomplete'] if n in ours)
    common_types = [t for t in mg['types'] if t in ours
                    and ours[t][0].startswith('typedef')]
    common_records = [t for t in common_types if mg['types'][t]['record']]
    ol, ours_bad = our_probe(args.clang, incdir, work, common_values,
                             [t for t in common_types
                              if t not in common_records], common_records)
    static_mm = []          # mismatches known at generation time
    # A name both define as different kinds of thing is a mismatch too, not
    # something to skip: e.g. an OID that became a function-like macro.
    for n, v in mg['values'].items():
        if n in ours and n not in common_values:
            static_mm.append('MISMATCH %s: ours is a %s, mingw the integer '
                             'constant 0x%x' % (n, KIND_WORDS[ours[n][0]],
                                                v & (2**64 - 1)))
    for t, info in mg['types'].items():
        if t in ours and t not in common_types:
            static_mm.append('MISMATCH %s: ours is a %s, mingw a typedef of '
                             'size %d' % (t, KIND_WORDS[ours[t][0]], info['size']))
    for n in common_values:
        if n in ours_bad:
            static_mm.append('MISMATCH %s: ours does not evaluate (%s), '
                             'mingw 0x%x' % (n, ours_bad[n],
                                             mg['values'][n] & (2**64 - 1)))
    for t in common_types:
        if t in ours_bad:
            static_mm.append('MISMATCH %s: ours has no size (%s), mingw sizeof'
                             ' %d' % (t, ours_bad[t], mg['types'][t]['size']))
    common_values = [n for n in common_values if n not in ours_bad]
    common_types = [t for t in common_types if t not in ours_bad]
    common_records = [t for t in common_records if t not in ours_bad]

    mingw_all = set(mg['macros']) | set(mg['enumerators']) | set(mg['typedefs'])
    ours_only = sorted((n, k, h) for n, (k, h) in ours_any.items()
                       if n not in mingw_all and not OURS_PRIVATE.match(n)
                       and k in OURS_ONLY_KINDS)
    with open(os.path.join(args.outdir, 'ours_only.txt'), 'w') as f:
        for n, k, h in ours_only:
            f.write('%s\t%s\t%s\n' % (n, k, h))

    fields, bitfields = [], []
    nfields = 0
    for t in common_records:
        info = mg['types'][t]
        ofields = {f[0]: f for f in ol[t]}
        for (path, off, lo, hi, typ, leaf) in info['fields']:
            nfields += 1
            of = ofields.get(path)
            if of is None:
                static_mm.append('MISMATCH %s.%s: ours has no such field, '
                                 'mingw offset %d' % (t, path, off))
                continue
            if (lo is None) != (of[2] is None):
                static_mm.append('MISMATCH %s.%s: ours %s, mingw %s' % (
                    t, path, 'bit-field' if of[2] is not None else 'not a bit-field',
                    'bit-field' if lo is not None else 'not a bit-field'))
                continue
            if lo is None:
                fields.append((t, path, off, mg['field_size'][(t, path)]))
            else:
                bitfields.append((t, path, off * 8 + lo, hi - lo + 1))

    nptr = sum(1 for t in common_records if mg['types'][t]['pointers'])
    src = []
    w = src.append
    w('/* Generated by tests/abi/ndis_proof.py from %s -- do not edit.'
      % args.mingw)
    w(' * Tables for tests/abi/test_ntddndis.c: our value or layout, computed by')
    w(' * this compiler from include/ndis, next to MinGW\'s, computed by clang')
    w(' * for x86_64-w64-mingw32. */')
    w('#include <stddef.h>')
    w('#include <string.h>')
    for line in our_prologue(incdir):
        w(line)
    w('')
    w('struct abi_value { const char *name; long long ours, mingw; };')
    w('static const struct abi_value abi_values[] = {')
    for n in common_values:
        w('\t{ %s, (long long)(%s), %s },' % (c_str(n), n, c_ll(mg['values'][n])))
    w('\t{ NULL, 0, 0 }')
    w('};')
    w('struct abi_size { const char *name; int record, pointers; '
      'long long ours, mingw; };')
    w('static const struct abi_size abi_sizes[] = {')
    for t in common_types:
        i = mg['types'][t]
        w('\t{ %s, %d, %d, (long long)sizeof(%s), %d },' % (
            c_str(t), i['record'], i['pointers'], t, i['size']))
    w('\t{ NULL, 0, 0, 0, 0 }')
    w('};')
    w('struct abi_field { const char *type, *path; long long ours_off, '
      'ours_size, mingw_off, mingw_size; };')
    w('static const struct abi_field abi_fields[] = {')
    for (t, path, off, size) in fields:
        w('\t{ %s, %s, (long long)offsetof(%s, %s), '
          '(long long)sizeof(((%s *)0)->%s), %d, %d },'
          % (c_str(t), c_str(path), t, path, t, path, off, size))
    w('\t{ NULL, NULL, 0, 0, 0, 0 }')
    w('};')
    w('/* Bit-fields have no offsetof: set one to all ones in a zeroed object')
    w(' * and read back which bits moved. */')
    w('typedef void abi_bits_fn(unsigned char *buf, size_t len);')
    for k, (t, path, bit, width) in enumerate(bitfields):
        w('static void abi_bits_%d(unsigned char *buf, size_t len)' % k)
        w('{')
        w('\t%s s;' % t)
        w('\tmemset(&s, 0, sizeof(s));')
        w('\ts.%s = 0;' % path)
        w('\ts.%s--;' % path)
        w('\tmemcpy(buf, &s, sizeof(s) < len ? sizeof(s) : len);')
        w('}')
    w('struct abi_bits { const char *type, *path; abi_bits_fn *fn; '
      'long long mingw_bit, mingw_width; };')
    w('static const struct abi_bits abi_bitfields[] = {')
    for k, (t, path, bit, width) in enumerate(bitfields):
        w('\t{ %s, %s, abi_bits_%d, %d, %d },' % (c_str(t), c_str(path), k,
                                                  bit, width))
    w('\t{ NULL, NULL, NULL, 0, 0 }')
    w('};')
    w('static const char *const abi_static_mismatches[] = {')
    for m in static_mm:
        w('\t%s,' % c_str(m))
    w('\tNULL')
    w('};')
    w('static const char *const abi_uncomparable[] = {')
    for n in ours_uncomparable:
        why = (mg['not_integer'].get(n) or
               ('hidden in MinGW under UM_NDIS630' if n in mg['hidden']
                else 'incomplete type in MinGW'))
        w('\t%s,' % c_str('%s (%s)' % (n, why)))
    w('\tNULL')
    w('};')
    nmac = len(mg['macros'])
    w('static const char abi_mingw_summary[] = %s;' % c_str(
        '%s: %d object-like macros, %d enumerators, %d typedefs; '
        '%d integer constants, %d not integer constants, %d not visible '
        'under UM_NDIS630, %d incomplete types' % (
            args.mingw, nmac, len(mg['enumerators']), len(mg['typedefs']),
            len(mg['values']), len(mg['not_integer']), len(mg['hidden']),
            len(mg['incomplete']))))
    w('enum { ABI_MIN_VALUES = %d, ABI_MIN_RECORDS = %d, '
      'ABI_POINTER_FREE = %d, ABI_WITH_POINTERS = %d };'
      % (args.min_values, args.min_records, len(common_records) - nptr, nptr))
    out_h = os.path.join(args.outdir, 'abi_ntddndis_tables.h')
    tmp = out_h + '.tmp'
    with open(tmp, 'w') as f:
        f.write('\n'.join(src) + '\n')
    os.replace(tmp, out_h)

    if args.depfile:
        # The directory too: its mtime changes when a header is added.
        deps = [args.mingw, os.path.abspath(__file__),
                os.path.join(incdir, 'ndis')] + \
            [os.path.join(incdir, 'ndis', h) for h in our_headers(incdir)]
        with open(args.depfile, 'w') as f:
            f.write('%s: %s\n' % (out_h, ' '.join(deps)))
    print('ndis_proof: %s' % (
        '%d common values, %d common typedefs (%d records, %d fields), '
        '%d names only ours' % (len(common_values), len(common_types),
                                len(common_records), nfields, len(ours_only))))


# --------------------------------------------------------------------------
# docs/ndis-headers.md

def doc_names(doc):
    """{name: source} from the table(s) under DOC_HEADING."""
    try:
        with open(doc) as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    inside = False
    for line in text.splitlines():
        if line.startswith('## '):
            inside = line.strip() == DOC_HEADING
            continue
        if not inside or not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) < 2:
            continue
        for n in re.findall(r'`(' + IDENT + r')`', cells[0]):
            out[n] = cells[-1]
    return out


def doc_gaps(ours_only, doc, must_exist=True):
    documented = doc_names(doc)
    if documented is None and not must_exist:
        documented = {}
    elif documented is None:
        die('%s does not exist; it must hold the table under "%s"'
            % (doc, DOC_HEADING))
    missing = [n for n in ours_only if n not in documented]
    unsourced = [n for n in ours_only if n in documented
                 and not documented[n].strip('` ')]
    stale = sorted(set(documented) - set(ours_only))
    return missing, unsourced, stale


def check_docs(args):
    ours_only = []
    with open(args.check_docs[0]) as f:
        for line in f:
            if line.strip():
                ours_only.append(line.split('\t')[0])
    missing, unsourced, stale = doc_gaps(ours_only, args.check_docs[1])
    for n in missing:
        print('UNDOCUMENTED %s: defined only by include/ndis, not in the '
              'table under "%s"' % (n, DOC_HEADING))
    for n in unsourced:
        print('NO SOURCE %s: the table row has an empty source column' % n)
    for n in stale:
        print('STALE %s: documented as ours-only but include/ndis does not '
              'define it (or MinGW does)' % n)
    bad = len(missing) + len(unsourced) + len(stale)
    print('names only iovlab defines: %d, documented: %d, problems: %d'
          % (len(ours_only), len(ours_only) - len(missing), bad))
    return 1 if bad else 0


def expect(args):
    """Run a proof binary built against a wrong header and require that it
    fails with exactly the expected MISMATCH and summary lines."""
    exe, expected_file = args.expect
    rc, out, err = run([exe])
    got = [l for l in out.splitlines()
           if l.startswith('MISMATCH') or l.startswith('compared ')]
    with open(expected_file) as f:
        want = [l.rstrip('\n') for l in f if l.strip()]
    ok = True
    for l in want:
        if l not in got:
            print('MISSING expected line: ' + l)
            ok = False
    for l in got:
        if l not in want:
            print('UNEXPECTED line: ' + l)
            ok = False
    if rc == 0:
        print('the proof exited 0 on a header with known mismatches')
        ok = False
    print('proof on the wrong fixture: exit %d, %d of %d expected lines%s'
          % (rc, sum(1 for l in want if l in got), len(want),
             '' if ok else ' -- FAIL'))
    return 0 if ok else 1


def list_ours_only(args):
    with tempfile.TemporaryDirectory() as work:
        with open(args.mingw, encoding='latin-1') as f:
            macros, enums, typedefs = parse_mingw_text(f.read())
        ours = all_our_names(args.clang, os.path.abspath(args.include), work)
    mingw_all = set(macros) | set(enums) | set(typedefs)
    only = {n: v for n, v in ours.items() if n not in mingw_all
            and not OURS_PRIVATE.match(n) and v[0] in OURS_ONLY_KINDS}
    missing, unsourced, stale = doc_gaps(sorted(only), args.doc, False)
    print('# %d names only include/ndis defines; %d not in %s:'
          % (len(only), len(missing), args.doc))
    for n in sorted(missing, key=lambda n: (only[n][1], n)):
        print('| `%s` | %s | %s | |' % (n, only[n][0], only[n][1]))
    for n in unsourced:
        print('# no source: %s' % n)
    for n in stale:
        print('# stale (not ours-only any more): %s' % n)
    return 1 if (missing or unsourced or stale) else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--generate', dest='outdir')
    ap.add_argument('--check-docs', nargs=2, metavar=('LIST', 'DOC'))
    ap.add_argument('--list-ours-only', action='store_true')
    ap.add_argument('--expect', nargs=2, metavar=('EXE', 'EXPECTED'))
    ap.add_argument('--mingw', default=MINGW_DEFAULT)
    ap.add_argument('--clang', default='clang')
    ap.add_argument('--include', default=os.path.join(top, 'include'))
    ap.add_argument('--doc', default=os.path.join(top, 'docs', 'ndis-headers.md'))
    ap.add_argument('--depfile')
    ap.add_argument('--min-values', type=int, default=1)
    ap.add_argument('--min-records', type=int, default=1)
    args = ap.parse_args()
    if args.check_docs:
        return check_docs(args)
    if args.expect:
        return expect(args)
    if not os.path.isfile(args.mingw):
        die('%s not found.  It comes from the Debian package mingw-w64-common;'
            ' run `bash scripts/deps.sh` (or `make test`, which runs it).'
            % args.mingw)
    if args.list_ours_only:
        return list_ours_only(args)
    if args.outdir:
        return generate(args)
    ap.error('give --generate, --check-docs or --list-ours-only')


if __name__ == '__main__':
    sys.exit(main())
