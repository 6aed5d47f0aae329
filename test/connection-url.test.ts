import { describe, expect, it } from 'vitest';
import { ConnectionUrlError, parseConnectionUrl } from '../src/postgres/connection-url.js';
import { describeHost, redactedUrl } from '../src/postgres/format-url.js';

const defaults = { user: 'runner', socketDir: '/var/run/postgresql' };
const parse = (url: string) => parseConnectionUrl(url, defaults);

function refusal(url: string): string {
  try {
    parse(url);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectionUrlError);
    return (error as Error).message;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('parseConnectionUrl', () => {
  it('reads every part of a full URL, decoding a percent-encoded password', () => {
    const target = parse(
      'postgresql://app%40corp:p%40ss%3Aw%2Frd%3F%23%25@db.example.com:6543/shop%2Dprod?sslmode=require',
    );
    expect(target).toMatchObject({
      hosts: [{ host: 'db.example.com', port: 6543 }],
      user: 'app@corp',
      password: 'p@ss:w/rd?#%',
      database: 'shop-prod',
    });
    expect(Object.fromEntries(target.params)).toEqual({ sslmode: 'require' });
  });

  it('accepts the postgres:// scheme and applies libpq defaults', () => {
    const target = parse('postgres://db.internal');
    expect(target.hosts).toEqual([{ host: 'db.internal', port: 5432 }]);
    expect(target.user).toBe('runner');
    expect(target.database).toBe('runner');
    expect(target.password).toBeUndefined();
  });

  it('reads bracketed IPv6 hosts with and without a port', () => {
    expect(parse('postgresql://u:p@[::1]:5433/db').hosts).toEqual([{ host: '::1', port: 5433 }]);
    expect(parse('postgresql://u:p@[2001:db8::7]/db').hosts).toEqual([{ host: '2001:db8::7', port: 5432 }]);
  });

  it('reads several hosts, each with its own port', () => {
    expect(parse('postgresql://u@a:5432,[::1]:5433,c/db').hosts).toEqual([
      { host: 'a', port: 5432 },
      { host: '::1', port: 5433 },
      { host: 'c', port: 5432 },
    ]);
  });

  it('takes a socket directory from host=, and an empty host means the default socket directory', () => {
    expect(parse('postgresql:///app?host=/tmp/pg%20sock&port=6000').hosts).toEqual([
      { host: '/tmp/pg sock', port: 6000 },
    ]);
    expect(parse('postgresql://u@/app').hosts).toEqual([{ host: '/var/run/postgresql', port: 5432 }]);
    expect(parse('postgresql://u@%2Ftmp%2Fsock/app').hosts).toEqual([{ host: '/tmp/sock', port: 5432 }]);
  });

  it('lets query parameters override user, password and dbname, as libpq does', () => {
    const target = parse('postgresql://h/ignored?user=alice&password=s%26cret&dbname=real&connect_timeout=5');
    expect(target).toMatchObject({ user: 'alice', password: 's&cret', database: 'real' });
    expect(target.params.get('connect_timeout')).toBe('5');
  });

  it("treats ssl=true as sslmode=require, libpq's JDBC compatibility", () => {
    expect(parse('postgresql://h/db?ssl=true').params.get('sslmode')).toBe('require');
  });

  it('keeps an unencoded @ in the password when the last @ ends the credentials', () => {
    expect(parse('postgresql://user:p@ss@host/db')).toMatchObject({
      password: 'p@ss',
      hosts: [{ host: 'host' }],
    });
  });

  it.each([
    ['', /is empty/],
    ['db.example.com:5432/app', /must start with postgresql:\/\/ or postgres:\/\//],
    ['mysql://u:p@h/db', /scheme 'mysql:\/\/'/],
    ['host=localhost dbname=app', /key=value connection string/],
    ['postgresql://u:p@h:99999/db', /port that is not a number from 1 to 65535/],
    ['postgresql://u:p@[::1/db', /IPv6 host without its closing/],
    ['postgresql://u:p@h/db?sslmode=sometimes', /sslmode=sometimes; libpq accepts disable, allow, prefer/],
    ['postgresql://u:p@h/db?schema=public', /'schema'.*Prisma option.*remove it/],
    ['postgresql://u:p@h/db?bogus=1', /'bogus', which libpq \(and so pg_dump\) does not accept/],
    ['postgresql://u:p@h/db?connect_timeout=soon', /connect_timeout=soon/],
    ['postgresql://u:p@h/db?sslmode', /query parameter without a value/],
    ['postgresql://u:p%zz@h/db', /malformed percent-encoding in the password/],
  ])('refuses %j with a clear reason', (url, reason) => {
    expect(refusal(url)).toMatch(reason);
  });

  it('never quotes the password in a refusal', () => {
    const secret = 'Sup3rS3cret';
    for (const url of [
      `postgresql://u:${secret}%zz@h/db`,
      `postgresql://u:${secret}:x@h:port/db`,
      `postgresql://u:${secret}/x@[::1/db`,
      `postgresql://u:${secret}@h:0/db`,
    ]) {
      expect(refusal(url)).not.toContain(secret);
    }
  });
});

describe('redactedUrl', () => {
  it('shows everything but the password', () => {
    const target = parse(
      'postgresql://app:s3cr%40t@[::1]:5433/shop?sslmode=require&application_name=nightly',
    );
    const shown = redactedUrl(target);
    expect(shown).toBe('postgresql://app:***@[::1]:5433/shop?sslmode=require&application_name=nightly');
    expect(shown).not.toContain('s3cr');
    expect(redactedUrl(parse('postgresql://app@/shop?host=/tmp'))).toBe(
      'postgresql://app@/shop?host=%2Ftmp&port=5432',
    );
  });

  it('describes TCP and socket hosts', () => {
    expect(describeHost({ host: '::1', port: 5 })).toBe('[::1]:5');
    expect(describeHost({ host: '/tmp', port: 5432 })).toBe('the socket /tmp/.s.PGSQL.5432');
  });
});
