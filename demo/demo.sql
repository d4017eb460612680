-- Demo data for sessctl: times are relative to when the demo is built.
-- An admin, several users, web and mobile sessions, active and closed ones,
-- one user (bob) over the device limit of 3, and sessions idle beyond 720 h.
INSERT INTO users (id, email, username, role) VALUES
  (1,  'admin@example.com', 'admin', 'admin'),
  (74, 'alice@example.com', 'alice', 'user'),
  (75, 'bob@example.com',   'bob',   'user'),
  (76, 'carol@example.com', 'carol', 'user'),
  (77, 'dave@example.com',  'dave',  'user');

INSERT INTO sessions (user_id, device_fingerprint, device_name, device_type, browser, ip_address, created_at, last_activity, is_active) VALUES
  (1,  'fp-admin-laptop', 'Firefox on Debian',        'web',    'Firefox', '192.0.2.10',   datetime('now', '-20 days'), datetime('now', '-5 minutes'), 1),
  (74, 'fp-alice-win',    'Chrome on Windows 10',     'web',    'Chrome',  '203.0.113.7',  datetime('now', '-12 days'), datetime('now', '-2 hours'),   1),
  (74, 'fp-alice-iphone', 'Safari on iPhone 15',      'mobile', 'Safari',  '2001:db8::15', datetime('now', '-30 days'), datetime('now', '-1 days'),    1),
  (74, 'fp-alice-old',    'Edge on Windows 11',       'web',    'Edge',    '198.51.100.4', datetime('now', '-90 days'), datetime('now', '-60 days'),   1),
  (75, 'fp-bob-1',        'Chrome on macOS',          'web',    'Chrome',  '10.1.0.11',    datetime('now', '-10 days'), datetime('now', '-10 minutes'), 1),
  (75, 'fp-bob-2',        'Firefox on Ubuntu',        'web',    'Firefox', '10.1.0.12',    datetime('now', '-9 days'),  datetime('now', '-3 hours'),   1),
  (75, 'fp-bob-3',        'Pixel 8 app',              'mobile', NULL,      '10.1.0.13',    datetime('now', '-8 days'),  datetime('now', '-1 days'),    1),
  (75, 'fp-bob-4',        'iPad app',                 'mobile', NULL,      '10.1.0.14',    datetime('now', '-7 days'),  datetime('now', '-2 days'),    1),
  (75, 'fp-bob-5',        'Chrome on ChromeOS',       'web',    'Chrome',  '10.1.0.15',    datetime('now', '-6 days'),  datetime('now', '-4 days'),    1),
  (76, 'fp-carol-web',    'Safari on macOS',          'web',    'Safari',  '192.0.2.44',   datetime('now', '-80 days'), datetime('now', '-40 days'),   1),
  (76, 'fp-carol-phone',  'Galaxy S24 app',           'mobile', NULL,      '192.0.2.45',   datetime('now', '-75 days'), datetime('now', '-35 days'),   1),
  (77, 'fp-dave-web',     'Firefox on Windows 10',    'web',    'Firefox', '198.51.100.9', datetime('now', '-3 days'),  datetime('now', '-1 hours'),   1);
