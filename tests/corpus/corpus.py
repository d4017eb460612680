#!/usr/bin/env python3
"""The bad-input corpus (issue 11 item 12): generates well over 1,000 hostile
command lines and poisoned SQLite databases at run time, runs sessctl on
each, and checks what every run must do whatever it was given.

    tests/corpus/corpus.py SESSCTL [--list] [--only SUBSTRING] [-j N]

Nothing is stored but this generator: the cases are built from value pools
below and from what `sessctl help` and `sessctl help COMMAND` say (the
commands and each command's options), so a new command or option is in the
corpus the day `help` lists it. The databases are made in a temporary
directory, one copy per case that writes.

What every case asserts (the rules, as documented in tests/check-corpus.sh):

  * the exit status is one of SPEC section 5 (0 1 64 65 66 67 69 74 75 77
    78): never 70, never a signal, never a timeout; where the input is
    certainly a usage error (a bad duration, an unknown option, ...) it is
    64, and other cases name the statuses they allow;
  * standard error: each line that starts with "sessctl: " is either a
    warning ("sessctl: warning: ...", at most once each), a row note
    ("sessctl: row N of TABLE has an unreadable COLUMN ...", issue 11 item
    2: each row and column named once) or an error line. A failing run
    prints exactly one error line; a run that succeeds prints none. A
    listing that exits 65 because of unreadable values may let its row
    notes be its report (no error line then). Lines without the prefix
    are summaries ("closed 1 session") and are not counted. With -v the
    extra "sessctl: ..." lines of -v are allowed on success;
  * no stream carries terminal-unsafe characters: C0 controls other than
    newline and tab, DEL, C1 controls, bidi controls, U+2028/U+2029;
  * machine formats are well-formed, whatever the status: -o json parses
    as one JSON text (python's json), -o ndjson line by line (and no line
    breaks a Unicode line splitter would see inside a line), -o csv with
    python's csv module, every record the same number of fields; all
    three strict UTF-8;
  * a password given in a URL never appears on either stream;
  * under a sanitizer build (ASAN_OPTIONS with log_path, as tests/run.sh
    sets it), no sanitizer report: each case logs to its own file, and a
    report is copied to run.sh's log directory as well.
"""
import csv
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

DOCUMENTED = {0, 1, 64, 65, 66, 67, 69, 74, 75, 77, 78}
ANY = frozenset(DOCUMENTED)
USAGE = frozenset({64})
BIG = 131071  # the longest single argument Linux passes (MAX_ARG_STRLEN - 1)
SECRET = 'S3cretCorpus'

# ---- value pools (str or bytes); BAD_* are certainly usage errors ----

IDS = ['0', '-0', '1', '01', '+1', ' 1', '1 ', '', '-1', '1e3', '0x10', '1.0', '1_000',
       '9223372036854775807', '9223372036854775808', '-9223372036854775808',
       '-9223372036854775809', '18446744073709551616', '99999999999999999999999999',
       '00000000000000000000000000000001', '\uff11', '\u0967', b'\xff', b'1\xff', '1\n', 'abc']
BAD_IDS = {'', '1e3', '0x10', '1.0', '1_000', '\uff11', '\u0967', b'\xff', b'1\xff', 'abc',
           ' 1', '1 ', '1\n', '+1'}
NUMS = ['0', '1', '3', '-1', '-0', '+3', '', '1e3', '1.5', '0x10', '2147483647', '2147483648',
        '4294967296', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
        '99999999999999999999', 'x', ' 3', '3 ', b'\xff']
BAD_NUMS = {'-1', '', '1e3', '1.5', '0x10', '9223372036854775808', '99999999999999999999', 'x',
            ' 3', '3 ', b'\xff'}
DURATIONS = ['0', '0s', '90s', '15m', '720h', '30d', '2w', '99999999999999h', '1.5h', '-5m', '',
             'h', '5', '5x', '5 m', '1e3s', '9223372036854775807s', '9223372036854775808s',
             '106751991167301d', '15250284452471w', '2w3d', ' 5m', '5m ', 'inf', 'nan',
             '\u0661\u0665m', b'\xffm', '5M', '-0s', '+5m']
BAD_DURATIONS = {'99999999999999h', '1.5h', '-5m', '', 'h', '5x', '5 m', '1e3s',
                 '9223372036854775808s', ' 5m', '5m ', 'inf', 'nan', '\u0661\u0665m', b'\xffm'}
TIMESTAMPS = ['2025-02-01', '2025-02-01 10:00', '2025-02-01 10:00:00', '2025-02-01T10:00:00+01:00',
              '', 'garbage', '2025-02-30', '2025-13-01', '0000-00-00', '0000-00-00 00:00:00',
              '9999-12-31 23:59:59', '10000-01-01', '-0001-01-01', '0001-01-01 00:00:00',
              '2025-01-01T00:00:00+99:99', '2025-01-01T24:00:00Z', '2025-01-01 23:59:60',
              '1764700000', '@1764700000', 'now', '2025-01-01 00:00:00.5', 'T', '2025-1-1',
              ' 2025-01-01', '2025-01-01 ', b'\xff2025', 'infinity', '-infinity',
              '2025-01-01T00:00:00', '2025-01-01T00:00:00z', '2025-01-01\x1b[2J']
BAD_TIMESTAMPS = {'', 'garbage', '2025-02-30', '2025-13-01', '0000-00-00', '10000-01-01',
                  '-0001-01-01', 'T', b'\xff2025', 'infinity', '-infinity', '2025-01-01\x1b[2J',
                  '@1764700000', 'now'}
USERS = ['alice', 'alice@example.com', '1', '2', '99', 'nobody', 'nobody@example.com', '', '@',
         '-', 'ALICE', ' alice', 'alice\x1b[31m', 'a\u202eb', 'a\u2028b', b'\xff\xfe',
         '9223372036854775807', '9223372036854775808', '-1', '0', 'dup']
IPS = ['203.0.113.5', '203.0.113.0/24', '0.0.0.0/0', '::/0', '2001:db8::/32', '::ffff:1.2.3.4',
       '', '999.1.1.1', '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/', '/24', '::1/129', 'garbage',
       '1.2.3', '01.2.3.4', '1.2.3.4/0x10', b'\xff', 'fe80::1%eth0', '1.2.3.4 ']
TYPES = ['web', 'mobile', '', 'WEB', 'desktop', b'\xff', 'web\x1b']
FORMATS = ['json', 'ndjson', 'csv', 'table', '', 'JSON', 'xml', 'j', b'\xff']
BAD_FORMATS = {'', 'xml', 'j', b'\xff'}
COLUMNS = ['id', 'id,id', '', ',', 'nope', 'id,,user_id', 'ID', 'id,' * 2000 + 'id', b'\xff',
           'device_fingerprint,email,username', 'id, user_id']
COLORS = ['auto', 'always', 'never', '', 'sometimes', b'\xff']
ACTIONS = ['logout', 'logout-all', 'expire', 'over-limit', 'purge', 'create', '', 'bogus',
           'LOGOUT', b'\xff']
TEXTS = ['x', '', ' ', '\x1b[2J\x1b]0;t\x07', '\u202e\u2028\u0085', b'\xff\xfe', '\t\r', 'x' * 300,
         "'; DROP TABLE sessions; --", '%s%n%x', '\\', '"']
URLS = ['', 'sqlite:', 'sqlite://', 'sqlite:///', 'sqlite:///nonexistent-corpus/x.db',
        '/nonexistent-corpus/x.db', '/dev/null', '/', '.', 'postgresql://',
        'postgresql://[::1', 'postgresql://u:' + SECRET + '@[::1/db',
        'postgresql://u:Se%zz' + SECRET + '@127.0.0.1:1/db',
        'postgresql://u:' + SECRET + '@127.0.0.1:1/db',
        'postgresql://u@127.0.0.1:1/db?pass%77ord=' + SECRET,
        "host=/nonexistent-corpus user=u password='x'password=" + SECRET,
        'host= password= password= ' + SECRET, 'postgres://?host=/nonexistent-corpus',
        'host=/nonexistent-corpus dbname=x', 'sslmode=bogus host=/nonexistent-corpus',
        'port=99999999999 host=/nonexistent-corpus', 'postgresql://u@/db?port=-1',
        'mysql://x', 'http://x', 'file:x.db', b'\xff.db', '%00', 'postgresql://%00',
        'postgresql://u:' + SECRET + '%00@127.0.0.1:1/db', 'x=y', 'sqlite:' + 'x' * 5000]

POOLS = {'N': NUMS, 'DURATION': DURATIONS, 'D': DURATIONS, 'WHEN': DURATIONS + TIMESTAMPS,
         'TIMESTAMP': TIMESTAMPS, 'USER': USERS, 'SESSION_ID': IDS, 'ID': IDS,
         'ADDR|CIDR': IPS, 'ADDR': IPS, 'TYPE': TYPES, 'FORMAT': FORMATS, 'A,B,C': COLUMNS,
         'KIND': ACTIONS, 'URL': URLS}
BAD = {'N': BAD_NUMS, 'DURATION': BAD_DURATIONS, 'D': BAD_DURATIONS,
       'WHEN': BAD_DURATIONS & BAD_TIMESTAMPS, 'TIMESTAMP': BAD_TIMESTAMPS,
       'SESSION_ID': BAD_IDS, 'ID': BAD_IDS, 'FORMAT': BAD_FORMATS}
BY_OPTION = {'--color': (COLORS, {'', 'sometimes', b'\xff'}), '--by': (['user', 'device-type', 'browser', 'day', 'User', '', 'ip'], {'User', '', 'ip'})}

UNSAFE = re.compile('[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069'
                    '\u200e\u200f\u061c]')
PROM_LINE = re.compile(r'^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? '
                       r'(?:[-+0-9.eE]+|NaN|[-+]Inf))$')
NOTE = re.compile(r'^sessctl: row -?\d+ of \S+ has an unreadable ')


def b(v):
    return v if isinstance(v, bytes) else v.encode('utf-8', 'surrogateescape')


class Case:
    __slots__ = ('name', 'argv', 'db', 'write', 'expect', 'env', 'verbose', 'secret', 'kind')

    def __init__(self, name, argv, db='base', write=False, expect=ANY, env=None, secret=None,
                 kind='argv'):
        self.name, self.argv, self.db, self.write = name, [b(a) for a in argv], db, write
        self.expect, self.env, self.secret, self.kind = frozenset(expect), env or {}, secret, kind
        self.verbose = any(a in (b'-v', b'--verbose') or re.match(rb'^-[a-z]*v', a) and
                           not a.startswith(b'--') for a in self.argv)


def short(v, n=40):
    s = repr(v if isinstance(v, bytes) else v)
    return s if len(s) <= n else s[:n] + '...(%d)' % len(v)


# ---- what help says ----

def help_text(binpath, *args):
    return subprocess.run([binpath, 'help', *args], stdout=subprocess.PIPE, check=True,
                          env=base_env()).stdout.decode()


def parse_help(binpath):
    """The commands `sessctl help` lists, and per command its usage line and
    options (name, short, metavar)."""
    text = help_text(binpath)
    cmds = re.findall(r'^  ([a-z][a-z-]+)  ', text.split('Commands:')[1].split('\n\n')[0], re.M)
    out = {}
    opt_re = re.compile(r'^  (?:(-[A-Za-z]), )?(--[a-z][a-z-]*)(?: ([A-Za-z][A-Za-z_|.,]*))?(?:\s|$)')
    glob = []
    for line in text.split('Global options')[1].splitlines():
        m = opt_re.match(line)
        if m:
            glob.append(m.groups())
    for c in cmds:
        t = help_text(binpath, c)
        own = t.split('Global options')[0]
        opts = []
        for line in own.splitlines():
            m = opt_re.match(line)
            if m and m.group(2) not in [o[1] for o in opts]:
                opts.append(m.groups())
        out[c] = {'usage': t.splitlines()[0], 'options': opts}
    return out, glob


# ---- the databases ----

BASE_SQL = """
INSERT INTO users (id, email, username, role) VALUES
 (1, 'alice@example.com', 'alice', 'user'), (2, 'bob@example.com', 'bob', 'admin'),
 (3, 'carol@example.com', 'carol', 'user'), (4, 'dup1@example.com', 'dup', 'user'),
 (5, 'dup2@example.com', 'dup', 'user'), (6, NULL, NULL, 'user');
INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser,
  ip_address, created_at, last_activity, is_active) VALUES
 (10, 1, 'fa1', 'Laptop', 'web', 'Firefox', '203.0.113.5', '2025-01-01 00:00:00', '2025-02-01 00:00:00', 1),
 (11, 1, 'fa2', 'Phone', 'mobile', 'Safari', '2001:db8::1', '2025-01-02 00:00:00', '2025-02-02 00:00:00', 1),
 (12, 1, 'fa3', 'Old', 'web', 'Chrome', '10.0.0.1', '2024-01-01 00:00:00', '2024-02-01 00:00:00', 0),
 (20, 2, 'fb1', 'Desk', 'web', 'Edge', '198.51.100.7', '2025-01-05 00:00:00', '2025-02-05 00:00:00', 1),
 (30, 3, 'fc1', 'Tab', 'mobile', NULL, NULL, '2025-01-06 00:00:00', '2025-01-07 00:00:00', 1),
 (40, 4, 'fd1', 'X', 'web', 'Y', '::ffff:1.2.3.4', '2025-01-06 00:00:00', '2025-01-07 00:00:00', 1);
INSERT INTO sessctl_audit (session_id, user_id, action, actor, reason, created_at, evaluated_at,
  email, device_name, ip_address, device_type) VALUES
 (12, 1, 'logout', 'bob', 'lost', '2025-02-03 00:00:00', NULL, 'alice@example.com', 'Old', '10.0.0.1', 'web'),
 (99, 1, 'purge', 'cron', NULL, '2025-02-04 00:00:00', '2025-02-04 00:00:00', NULL, NULL, NULL, NULL);
"""

ODD_TIMES = [None, '', ' ', 'garbage', '0000-00-00', '0000-00-00 00:00:00', 1764700000, 1764700000.5,
             -1, 0, 9223372036854775807, -9223372036854775808, 1e300, float('-inf'), 'infinity',
             '-infinity', 'now', '2025-02-30 00:00:00', '2025-13-01 00:00:00', '2025-01-01 25:61:61',
             '2025-01-01', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00+05:30',
             '2025-01-01 00:00:00.123456', '9999-12-31 23:59:59', '10000-01-01 00:00:00',
             '-0001-01-01 00:00:00', ' 2025-01-01 00:00:00', '2025-01-01 00:00:00 ',
             b'\x00', b'2025-01-01 00:00:00\xff', 'x' * 5000, '\u0662\u0660\u0662\u0665-01-01',
             '2025-01-01\x1b[2J']
ODD_TEXT = [None, '', b'\xff\xfe\xc0\x80', '\x1b[2J\x1b]0;pwned\x07', '\u009b31m\u009d', '\u202eevil',
            '\u2028\u2029\u0085', 'a\tb\nc\rd', 'x' * 5000, '\u4e2d\u6587\u6f22\u5b57' * 50,
            'e\u0301' * 300, '\U0001F468\u200d\U0001F469\u200d\U0001F467', 42, 1.5, b'a\x00b',
            '"quoted",comma', "\\u0000"]
ODD_ACTIVE = [2, -1, 'yes', 'true', '', 1.5, '1', b'\x01', 9223372036854775807, 'NULL']
ODD_USER_ID = [99, -1, 0, 'abc', 1.5, 9223372036854775807, b'\x01']


NOT_NULL = {('sessions', 'user_id'), ('sessions', 'is_active'), ('users', 'role'),
            ('sessctl_audit', 'action'), ('sessctl_audit', 'actor'), ('sessctl_audit', 'created_at')}


def db_scenarios():
    """(name, [(sql, params)...]): one poisoning per scenario, on top of the
    base rows."""
    sc = []

    def upd(table, col, val, where):
        if val is None and (table, col) in NOT_NULL:
            return None
        if isinstance(val, bytes):
            return ('UPDATE %s SET %s = CAST(? AS TEXT) WHERE %s' % (table, col, where), (val,))
        return ('UPDATE %s SET %s = ? WHERE %s' % (table, col, where), (val,))

    for col in ('created_at', 'last_activity'):
        for v in ODD_TIMES:
            sc.append(('sessions.%s=%s' % (col, short(v, 30)), [upd('sessions', col, v, 'id = 10')]))
    for col in ('device_fingerprint', 'device_name', 'device_type', 'browser', 'ip_address'):
        for v in ODD_TEXT:
            sc.append(('sessions.%s=%s' % (col, short(v, 30)), [upd('sessions', col, v, 'id = 11')]))
    for v in ODD_ACTIVE:
        sc.append(('sessions.is_active=%s' % short(v), [upd('sessions', 'is_active', v, 'id = 10')]))
    for v in ODD_USER_ID:
        sc.append(('sessions.user_id=%s' % short(v), [upd('sessions', 'user_id', v, 'id = 11')]))
    for col in ('email', 'username'):
        for v in ODD_TEXT[:8] + [None]:
            sc.append(('users.%s=%s' % (col, short(v, 30)), [upd('users', col, v, 'id = 1')]))
    for v in ['ADMIN', '', b'\xff', 'admin ', None, 42]:
        sc.append(('users.role=%s' % short(v), [upd('users', 'role', v, 'id = 2')]))
    for col, vals in (('created_at', ODD_TIMES[:20]), ('evaluated_at', ODD_TIMES[:10]),
                      ('action', ['', 'bogus', b'\xff', 42]), ('actor', ODD_TEXT[:8]),
                      ('reason', ODD_TEXT[:8]), ('email', ODD_TEXT[:6]),
                      ('device_name', ODD_TEXT[:6]), ('session_id', [None, 'x', -1, 1.5]),
                      ('user_id', [None, 'x', 99, 9223372036854775807])):
        for v in vals:
            sc.append(('sessctl_audit.%s=%s' % (col, short(v, 30)),
                       [upd('sessctl_audit', col, v, 'id = 1')]))
    sc.append(('sessions.id=int64max', [('UPDATE sessions SET id = 9223372036854775807 WHERE id = 11', ())]))
    sc.append(('sessions.id=-5', [('UPDATE sessions SET id = -5 WHERE id = 11', ())]))
    sc.append(('sessions.id=0', [('UPDATE sessions SET id = 0 WHERE id = 11', ())]))
    sc.append(('users.id=int64max', [('UPDATE users SET id = 9223372036854775807 WHERE id = 3', ()),
                                     ('UPDATE sessions SET user_id = 9223372036854775807 WHERE user_id = 3', ())]))
    sc.append(('no users at all', [('DELETE FROM users', ())]))
    sc.append(('no sessions at all', [('DELETE FROM sessions', ())]))
    sc.append(('migrations.version=999', [('INSERT INTO sessctl_migrations VALUES (999, ?, ?)', ('x', '2025-01-01 00:00:00'))]))
    sc.append(('migrations.applied_at=garbage', [("UPDATE sessctl_migrations SET applied_at = 'garbage'", ())]))
    sc.append(('migrations.name=NUL', [("UPDATE sessctl_migrations SET name = CAST(? AS TEXT)", (b'a\x00\xff',))]))
    sc.append(('migrations empty', [('DELETE FROM sessctl_migrations', ())]))
    sc.append(('no audit table', [('DROP TABLE sessctl_audit', ())]))
    sc.append(('sessions 10 MB device_name', [('UPDATE sessions SET device_name = ? WHERE id = 10',
                                                ('\u00e9' * (5 * 1024 * 1024),))]))
    sc.append(('sessions 10 MB fingerprint', [('UPDATE sessions SET device_fingerprint = ? WHERE id = 11',
                                                ('f' * (10 * 1024 * 1024),))]))
    sc.append(('many poisons at once', [
        upd('sessions', 'created_at', 'garbage', 'id = 10'), upd('sessions', 'last_activity', '', 'id = 10'),
        upd('sessions', 'created_at', 1.5, 'id = 11'), upd('sessions', 'device_name', b'\xff', 'id = 11'),
        upd('sessions', 'is_active', 'yes', 'id = 20'), upd('sessions', 'user_id', 99, 'id = 30')]))
    return [(name, stmts) for name, stmts in sc if None not in stmts]


# Commands run over every poisoned database: (argv, writes?). The format
# of the read commands rotates from scenario to scenario.
DB_READS = [['list-user', 'alice', '--all'], ['list-user', '1'], ['show', '10'], ['show', '11'],
            ['find', '--all'], ['find', '--ip', '0.0.0.0/0', '--seen-since', '3000d'], ['count'],
            ['count', 'alice'], ['count', '--by', 'user'], ['history'], ['history', 'alice'],
            ['enforce', '--dry-run', '--now', '2030-01-01'], ['logout-all', 'alice', '--dry-run'],
            ['migrate', 'status'], ['metrics'], ['count', '--by', 'browser']]
DB_WRITES = [['logout', '10'], ['logout', '11', '10'], ['logout', '--user', 'alice', '--latest'],
             ['logout-all', 'alice', '--yes'], ['logout-all', 'alice', '--except', '10', '--yes'],
             ['create', '--user', 'alice', '--fingerprint', 'fa2', '--device-name', 'n'],
             ['create', '--user', 'alice', '--fingerprint', 'new', '--max-sessions', '1'],
             ['enforce', '--now', '2030-01-01', '--purge-after', '1d'], ['enforce'],
             ['logout', '--where', '--ip', '0.0.0.0/0', '--yes'], ['logout', '--all-users', '--yes'],
             ['migrate']]
MACHINE = ['json', 'ndjson', 'csv', 'table']


def make_base(binpath, tmp):
    path = os.path.join(tmp, 'base.db')
    subprocess.run([binpath, '--db', path, '-q', 'migrate'], check=True, env=base_env())
    con = sqlite3.connect(path)
    con.executescript(BASE_SQL)
    con.commit()
    con.close()
    return path


def make_scenario(base, path, stmts):
    shutil.copyfile(base, path)
    con = sqlite3.connect(path)
    con.text_factory = bytes
    for sql, params in stmts:
        con.execute(sql, params)
    con.commit()
    con.close()


# ---- the command-line cases ----

def operand_for(cmd):
    return {'list-user': ['alice'], 'show': ['10'], 'count': [], 'find': [], 'history': [],
            'logout': ['10'], 'logout-all': ['alice', '--yes'], 'create': ['--user', 'alice',
            '--fingerprint', 'fz'], 'enforce': [], 'migrate': ['status'], 'help': []}.get(cmd, [])


WRITERS = {'logout', 'logout-all', 'create', 'enforce', 'migrate'}


def operand_pool(cmd, usage):
    m = re.match(r'usage: sessctl %s \[?([A-Z_]+)' % re.escape(cmd), usage)
    return m.group(1) if m else None


def sample(pool, key, most=9):
    """At most `most` values of pool, a different slice for each key, so
    that the options of all commands together cover the pool."""
    step = -(-len(pool) // most)
    return pool[sum(map(ord, key)) % step::step]


def argv_cases(cmds, glob):
    cases = []
    rnd = random.Random(11)

    def add(name, argv, expect=ANY, **kw):
        cmd = next((a for a in argv if a in cmds), None)
        write = cmd in WRITERS and not ('migrate' == cmd and 'status' in argv)
        cases.append(Case(name, ['--db', '@DB'] + argv, write=write, expect=expect, **kw))

    for cmd, info in cmds.items():
        base = operand_for(cmd)
        # its operand, every value of its pool
        kind = operand_pool(cmd, info['usage'])
        pool = POOLS.get(kind, TEXTS) if kind else []
        for v in pool + ['x' * BIG, b'\xff' * 100]:
            exp = USAGE if kind in BAD and v in BAD[kind] else ANY
            if cmd == 'count':  # count USER: any text is a user reference
                exp = ANY
            add('%s operand %s' % (cmd, short(v)), [cmd, v] + base[1:] if base else [cmd, v], exp)
        add('%s operand after --' % cmd, [cmd, '--'] + (base or []))
        add('%s -- then an option as operand' % cmd, [cmd, '--', '--all'])
        add('%s too many operands' % cmd, [cmd] + (base[:1] or ['x']) + ['extra1', 'extra2'])
        add('%s unknown option' % cmd, [cmd, '--bogus'] + base, USAGE)
        add('%s unknown short option' % cmd, [cmd, '-Z'] + base, USAGE)
        add('%s lone dash' % cmd, [cmd, '-'] + base)
        add('%s empty argument' % cmd, [cmd, ''] + base)
        add('%s non-UTF-8 option' % cmd, [cmd, b'--\xff'] + base, USAGE)
        add('%s 1 MB of arguments' % cmd, [cmd] + ['x' * BIG] * 8 + base)
        # each option with every value of its pool
        for short_opt, opt, meta in info['options']:
            pool, bad = BY_OPTION.get(opt, (POOLS.get(meta, TEXTS) if meta else None,
                                              BAD.get(meta, set())))
            if pool is None:  # a flag
                add('%s %s' % (cmd, opt), [cmd] + base + [opt])
                add('%s %s twice' % (cmd, opt), [cmd] + base + [opt, opt])
                add('%s %s=1' % (cmd, opt), [cmd] + base + [opt + '=1'], USAGE)
                if short_opt:
                    add('%s %s%s' % (cmd, short_opt, short_opt[1]), [cmd] + base + [short_opt + short_opt[1]])
                continue
            for v in sample(pool, cmd + opt):
                exp = USAGE if v in bad else ANY
                add('%s %s %s' % (cmd, opt, short(v)), [cmd] + base + [opt, v], exp)
            add('%s %s=value' % (cmd, opt), [cmd] + base + [b(opt) + b'=' + b(pool[0])])
            add('%s %s missing value' % (cmd, opt), [cmd] + base + [opt], USAGE)
            add('%s %s repeated' % (cmd, opt), [cmd] + base + [opt, pool[0], opt, pool[-1]])
            add('%s %s %d-byte value' % (cmd, opt, BIG), [cmd] + base + [opt, 'x' * BIG])
            add('%s %s abbreviated' % (cmd, opt), [cmd] + base + [opt[:4], pool[0]])
            if short_opt:
                add('%s %s attached' % (cmd, short_opt), [cmd] + base + [b(short_opt) + b(pool[0])])
        # permutations of a full command line
        words = []
        for short_opt, opt, meta in info['options'][:6]:
            pool = BY_OPTION.get(opt, (POOLS.get(meta, TEXTS) if meta else None,))[0]
            words.append([opt] if pool is None else [opt, pool[0]])
        words += [['-o', 'json'], ['--now', '2025-03-01'], ['--no-header']]
        for i in range(6):
            rnd.shuffle(words)
            add('%s permuted options #%d' % (cmd, i), [cmd] + base + [w for ws in words for w in ws])
            add('%s options before the command #%d' % (cmd, i),
                [w for ws in words[-3:] for w in ws] + [cmd] + base)
    # the global options on a read command and on a write command
    for short_opt, opt, meta in glob:
        if opt in ('--db',):
            continue
        pool, bad = BY_OPTION.get(opt, (POOLS.get(meta, TEXTS) if meta else None, BAD.get(meta, set())))
        for cmd in ('list-user', 'logout'):
            base = operand_for(cmd)
            if pool is None:
                add('global %s %s' % (opt, cmd), [opt, cmd] + base)
                continue
            for v in pool:
                add('global %s %s %s' % (opt, short(v), cmd), [opt, v, cmd] + base,
                    USAGE if v in bad else ANY)
    # --db: every URL on a read and a write command (no @DB here)
    for v in URLS:
        secret = SECRET if SECRET in (v if isinstance(v, str) else '') else None
        for argv in (['count'], ['logout', '10'], ['migrate', 'status']):
            cases.append(Case('--db %s %s' % (short(v, 50), argv[0]), ['--db', v] + argv,
                              db=None, secret=secret,
                              expect=ANY - {0, 1} if v != '' and argv[0] != 'migrate' else ANY))
    return cases


def env_cases():
    cases = []
    for var, pool in (('SESSCTL_NOW', TIMESTAMPS), ('SESSCTL_DB', URLS[:12]),
                      ('MAX_SESSIONS_PER_USER', NUMS), ('SESSION_TIMEOUT_HOURS', NUMS),
                      ('COLUMNS', ['0', '-1', '99999999999', 'x', '']), ('NO_COLOR', ['1', '']),
                      ('SUDO_USER', USERS[:10])):
        for v in pool:
            env = {var: b(v)}
            argv = ['enforce', '--dry-run'] if var != 'SESSCTL_DB' else ['count']
            if var == 'SUDO_USER':
                argv = ['logout', '10']
            secret = SECRET if var == 'SESSCTL_DB' and SECRET in str(v) else None
            db = None if var == 'SESSCTL_DB' else 'base'
            pre = [] if db is None else ['--db', '@DB']
            cases.append(Case('env %s=%s %s' % (var, short(v), argv[0]), pre + argv, db=db,
                              write=argv[0] == 'logout', env=env, secret=secret, kind='env'))
    return cases


def db_cases(scenarios, cmds):
    cases = []
    reads = [a for a in DB_READS if a[0] in cmds]
    for i, (name, _) in enumerate(scenarios):
        huge = '10 MB' in name
        # the schema's own poisonings run every command; the others a share
        full = name.startswith(('migrations', 'no ', 'many'))
        for j, argv in enumerate(reads):
            if (j and (i + j) % 4 and not full) or (huge and j % 3):
                continue
            fmt = MACHINE[(i + j) % 4]
            out = [] if argv[0] == 'metrics' else ['-o', fmt]
            cases.append(Case('db %s: %s %s' % (name, ' '.join(argv), ' '.join(out)),
                              ['--db', '@DB'] + argv + out, db=name, kind='db'))
        for j, argv in enumerate(DB_WRITES):
            if (j and (i + j) % 5 and not full) or (huge and j % 3):
                continue
            fmt = MACHINE[(i + j) % 4]
            cases.append(Case('db %s: %s -o %s' % (name, ' '.join(argv), fmt),
                              ['--db', '@DB'] + argv + ['-o', fmt], db=name, write=True, kind='db'))
    return cases


# ---- running and checking ----

def base_env():
    env = {k: v for k, v in os.environ.items()
           if k in ('PATH', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'LD_LIBRARY_PATH')}
    env.update({'LANG': 'C.UTF-8', 'HOME': '/nonexistent-corpus', 'USER': 'corpus',
                'LOGNAME': 'corpus', 'PGHOST': '/nonexistent-corpus', 'PGCONNECT_TIMEOUT': '2',
                'PGPASSFILE': '/nonexistent-corpus/pgpass', 'PGSERVICEFILE': '/nonexistent-corpus/s'})
    return env


def fmt_of(argv):
    fmt = 'table'
    for i, a in enumerate(argv):
        if a in (b'-o', b'--output') and i + 1 < len(argv):
            fmt = argv[i + 1].decode('utf-8', 'replace')
        elif a.startswith(b'--output='):
            fmt = a[9:].decode('utf-8', 'replace')
        elif a.startswith(b'-o') and len(a) > 2 and not a.startswith(b'--'):
            fmt = a[2:].decode('utf-8', 'replace')
    return fmt


csv.field_size_limit(64 * 1024 * 1024)


def check_machine(fmt, out):
    """None when stdout is well-formed for fmt, else what is wrong."""
    try:
        text = out.decode('utf-8')
    except UnicodeDecodeError as e:
        return 'stdout is not UTF-8 (%s)' % e
    if fmt == 'json':
        if not text.strip():
            return None
        try:
            json.loads(text)
        except ValueError as e:
            return 'stdout is not JSON: %s' % e
    elif fmt == 'ndjson':
        lines = text.split('\n')
        if lines and lines[-1] == '':
            lines.pop()
        if text.splitlines() != lines:
            return 'an NDJSON line holds a character Unicode line splitters break on'
        for n, line in enumerate(lines, 1):
            try:
                json.loads(line)
            except ValueError as e:
                return 'NDJSON line %d is not JSON: %s' % (n, e)
    elif fmt == 'prometheus':
        for n, line in enumerate(text.split('\n')[:-1], 1):
            if not PROM_LINE.match(line):
                return 'metrics line %d is not the Prometheus text format: %r' % (n, line[:80])
    elif fmt == 'csv':
        try:
            rows = list(csv.reader(io.StringIO(text, newline=''), strict=True))
        except csv.Error as e:
            return 'stdout is not CSV: %s' % e
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            return 'CSV records of different widths %s' % sorted(widths)
    return None


class Runner:
    def __init__(self, binpath, tmp, jobs):
        self.bin, self.tmp, self.jobs = binpath, tmp, jobs
        self.env = base_env()
        self.sanlog = None
        for var in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
            m = re.search(r'(?:^|:)log_path=([^:]+)', self.env.get(var, ''))
            if m:
                self.sanlog = m.group(1)
        self.lock = threading.Lock()
        self.dbs = {}
        self.statuses = {}

    def san_env(self, env, n):
        for var in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
            if var in env:
                env[var] = re.sub(r'(^|:)log_path=[^:]+', r'\1log_path=%s/san/case%d' % (self.tmp, n),
                                  env[var])
        return env

    def run(self, n, case):
        env = self.san_env(dict(self.env), n)
        env.update({k: v.decode('utf-8', 'surrogateescape') for k, v in case.env.items()})
        dbpath = None
        if case.db is not None:
            dbpath = self.dbs[case.db]
            if case.write:
                copy = os.path.join(self.tmp, 'w', 'case%d.db' % n)
                shutil.copyfile(dbpath, copy)
                dbpath = copy
        argv = [self.bin.encode()] + [dbpath.encode() if a == b'@DB' else a for a in case.argv]
        start = time.monotonic()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, timeout=60, cwd=self.tmp)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            rc, out, err = 'timeout', b'', b''
        took = time.monotonic() - start
        if case.write and dbpath:
            for suffix in ('', '-wal', '-shm', '-journal'):
                try:
                    os.unlink(dbpath + suffix)
                except FileNotFoundError:
                    pass
        problems = self.check(case, rc, out, err)
        problems += self.sanitizer_reports(n, case)
        with self.lock:
            self.statuses[rc] = self.statuses.get(rc, 0) + 1
        return rc, problems, err, took

    def sanitizer_reports(self, n, case):
        found = []
        d = os.path.join(self.tmp, 'san')
        for f in os.listdir(d):
            if not f.startswith('case%d.' % n):
                continue
            path = os.path.join(d, f)
            with open(path, 'rb') as fh:
                text = fh.read()
            if re.search(rb'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:', text):
                found.append('sanitizer report %s: %s' % (f, text[:2000].decode('utf-8', 'replace')))
                if self.sanlog:
                    shutil.copyfile(path, '%s.corpus-%s' % (self.sanlog, f))
        return found

    def check(self, case, rc, out, err):
        probs = []
        if rc == 'timeout':
            return ['no exit within 60 s']
        if rc < 0:
            return ['killed by signal %d' % -rc]
        if rc == 70:
            probs.append('internal error (70)')
        if rc not in DOCUMENTED:
            probs.append('exit status %d is not in SPEC section 5' % rc)
        elif rc not in case.expect:
            probs.append('exit status %d, expected %s' % (rc, '/'.join(map(str, sorted(case.expect)))))
        text = err.decode('utf-8', 'replace')
        lines = [line for line in text.split('\n') if line != '']
        pref = [line for line in lines if line.startswith('sessctl: ')]
        warnings = [line for line in pref if line.startswith('sessctl: warning: ')]
        notes = [line for line in pref if NOTE.match(line)]
        errors = [line for line in pref if line not in warnings and line not in notes]
        if len(set(warnings)) != len(warnings) or len(set(notes)) != len(notes):
            probs.append('a warning or row note repeated on stderr')
        if rc in (0, 1):
            if errors and not case.verbose:
                probs.append('succeeded (%d) with an error line on stderr' % rc)
        elif case.verbose:
            if not errors:
                probs.append('failed (%d) without a "sessctl: " line on stderr' % rc)
        elif rc == 65 and notes:
            if len(errors) > 1:
                probs.append('%d error lines on stderr besides the row notes' % len(errors))
        elif len(errors) != 1:
            probs.append('failed (%d) with %d error lines on stderr, not one' % (rc, len(errors)))
        for e in errors:
            if re.match(r'sessctl: [A-Z][a-z]', e):
                probs.append('error message starts with a capital: %s' % e[:80])
        fmt = fmt_of(case.argv)
        if b'metrics' in case.argv and rc == 0 and not case.verbose:
            fmt = 'prometheus'  # the Prometheus text format, for programs
        for name, stream in (('stderr', err), ('stdout', out)):
            if name == 'stdout' and fmt in ('json', 'ndjson', 'csv', 'prometheus'):
                continue  # data for programs: checked below for well-formedness
            if b'always' in case.argv:  # --color always: SGR sequences asked for
                stream = re.sub(rb'\x1b\[[0-9;]*m', b'', stream)
            m = UNSAFE.search(stream.decode('utf-8', 'replace'))
            if m:
                probs.append('terminal-unsafe U+%04X on %s' % (ord(m.group()), name))
        if case.secret and (case.secret.encode() in out or case.secret.encode() in err):
            probs.append('the password is shown')
        helping = any(a in (b'-h', b'--help', b'help', b'-V', b'--version') for a in case.argv)
        migrating = b'migrate' in case.argv and b'status' not in case.argv
        if fmt in ('json', 'ndjson', 'csv', 'prometheus') and out and not helping and not migrating:
            why = check_machine(fmt, out)
            if why:
                probs.append(why)
        return probs


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit('usage: corpus.py SESSCTL [--list] [--only SUBSTRING] [-j N]')
    binpath = os.path.abspath(args[0])
    only = args[args.index('--only') + 1] if '--only' in args else None
    jobs = int(args[args.index('-j') + 1]) if '-j' in args else int(os.environ.get('SESSCTL_CORPUS_JOBS', '2'))
    cmds, glob = parse_help(binpath)
    scenarios = db_scenarios()
    cases = argv_cases(cmds, glob) + env_cases() + db_cases(scenarios, cmds)
    if only:
        cases = [c for c in cases if only in c.name]
    if '--list' in args:
        for c in cases:
            print(c.name)
        print('%d cases' % len(cases))
        return 0
    tmp = tempfile.mkdtemp(prefix='sccorpus.')
    try:
        return run_all(binpath, tmp, cmds, scenarios, cases, jobs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_all(binpath, tmp, cmds, scenarios, cases, jobs):
    start = time.monotonic()
    os.makedirs(os.path.join(tmp, 'san'))
    os.makedirs(os.path.join(tmp, 'w'))
    r = Runner(binpath, tmp, jobs)
    r.dbs['base'] = make_base(binpath, tmp)
    wanted = {c.db for c in cases}
    for i, (name, stmts) in enumerate(scenarios):
        if name in wanted:
            r.dbs[name] = os.path.join(tmp, 'scenario%d.db' % i)
            make_scenario(r.dbs['base'], r.dbs[name], stmts)
    kinds = {}
    for c in cases:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    print('corpus: %d cases (%s) over %d commands (%s) and %d poisoned databases' % (
        len(cases), ', '.join('%d %s' % (v, k) for k, v in sorted(kinds.items())), len(cmds),
        ' '.join(cmds), len(scenarios)))
    passed = failed = 0
    slow = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda nc: r.run(*nc), enumerate(cases))
        for case, (rc, probs, err, took) in zip(cases, results):
            slow.append((took, case.name))
            if probs:
                failed += 1
                print('FAIL %s: exit %s' % (case.name, rc))
                for p in probs:
                    print('     %s' % p[:600])
                tail = err.decode('utf-8', 'replace').strip().split('\n')[-3:]
                for line in tail:
                    print('     stderr: %s' % line[:300])
            else:
                passed += 1
    slow.sort(reverse=True)
    print('slowest: ' + '; '.join('%s %.1f s' % (n, t) for t, n in slow[:3]))
    print('status table (exit status: cases):')
    for rc in sorted(r.statuses, key=str):
        print('  %7s  %5d' % (rc, r.statuses[rc]))
    print('corpus took %.0f s' % (time.monotonic() - start))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
