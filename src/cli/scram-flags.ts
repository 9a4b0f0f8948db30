/**
 * The flags of commands that set a SCRAM password (`kb user create`,
 * `kb user set-password`): the mechanism and the PBKDF2 iterations, within
 * the bounds the controller accepts.
 */
import { Flags } from '@oclif/core';
import { scramIterationsMax, scramIterationsMin, scramMechanisms } from '../protocol/scram.ts';

export const scramFlags = {
  mechanism: Flags.string({ char: 'm', description: 'SCRAM mechanism', options: scramMechanisms.map((m) => m.name) }),
  iterations: Flags.integer({ description: 'PBKDF2 iterations of the salted password', default: scramIterationsMin, min: scramIterationsMin, max: scramIterationsMax }),
};

/** What a new user gets without --mechanism. */
export const defaultScramMechanism = 'SCRAM-SHA-512';
