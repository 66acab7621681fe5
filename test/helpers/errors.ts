/** The one assertion for "this fails with that RadzError code". */
import { expect } from "chai";
import { RadzError, type ErrorCode } from "../../src/errors.js";

/**
 * Awaits `p` (a promise, or a function that throws or returns one) and
 * asserts it failed with a RadzError of `code`; returns the error for further
 * checks. Fails when it resolved or threw anything else.
 */
export async function expectRadzError(
  p: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<RadzError> {
  let caught: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a RadzError ${code}`).to.be.instanceOf(RadzError);
  const e = caught as RadzError;
  expect(e.code, e.message).to.equal(code);
  return e;
}
