/**
 * What the action posts outside the log (Slack, the webhook, the heartbeat, the PR comment, job summaries):
 * PostgreSQL's errors and a migration's output without the rows, settings and passwords they quote, and without
 * any value the action masked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { forgetMaskedSecrets, maskSecret, scrubForPosting } from '../src/shared/posted-text.js';

afterEach(() => {
  forgetMaskedSecrets();
});

describe('scrubForPosting', () => {
  it("leaves out DETAIL and CONTEXT, which quote rows, keeping the error and PostgreSQL's hint", () => {
    const error =
      'could not execute query: ERROR:  insert or update on table "orders" violates foreign key constraint ' +
      '"orders_customer_fkey" DETAIL:  Key (customer_id)=(4711) is not present in table "customers". ' +
      'HINT:  Check the data. CONTEXT:  COPY orders, line 5, column note: "call Jane at +1 555 0100"';
    expect(scrubForPosting(error)).toBe(
      'could not execute query: ERROR:  insert or update on table "orders" violates foreign key constraint ' +
        '"orders_customer_fkey" DETAIL: (left out: it can quote rows) HINT:  Check the data. ' +
        'CONTEXT: (left out: it can quote rows)',
    );
    expect(scrubForPosting('ERROR:  x\nDETAIL:  Failing row contains (1, secret).\nmore')).toBe(
      'ERROR:  x\nDETAIL: (left out: it can quote rows)\nmore',
    );
  });

  it("leaves out connection strings' passwords, a setting's value, and URL credentials", () => {
    expect(
      scrubForPosting("CREATE SUBSCRIPTION s CONNECTION 'host=db password=''quoted'' user=x' PUBLICATION p;"),
    ).toBe("CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p;");
    expect(scrubForPosting("CREATE SUBSCRIPTION s CONNECTION 'host=db password=cut-off")).toBe(
      "CREATE SUBSCRIPTION s CONNECTION '***'",
    );
    expect(scrubForPosting('dblink_connect(host=db password=hunter2 dbname=app)')).toBe(
      'dblink_connect(host=db password=*** dbname=app)',
    );
    expect(scrubForPosting('ERROR:  invalid value for parameter "app.key": "abc""def"')).toBe(
      'ERROR:  invalid value for parameter "app.key": (value left out)',
    );
    expect(scrubForPosting('Error: connect to postgres://app:hunter2@db:5432/shop')).toBe(
      'Error: connect to postgres://***@db:5432/shop',
    );
  });

  it('leaves out every value the action masked, the longest first', () => {
    maskSecret('pw');
    maskSecret('pw-longer-secret');
    maskSecret(undefined);
    maskSecret('');
    expect(scrubForPosting('migrate: using pw-longer-secret, then pw')).toBe('migrate: using ***, then ***');
  });
});
