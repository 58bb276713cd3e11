// The phase 1 exchanges by ISAKMP exchange type (racoon isakmp.c ph1exchange[][][] and etypesw1): the name
// racoon logs ("begin Identity Protection mode."), the initiator's first message, the responder's first step
// and the table of later steps by side and state.
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage } from '../../isakmp/message.js';
import type { Phase1 } from '../handles.js';
import * as AM from './aggressive-mode.js';
import * as BM from './base-mode.js';
import * as MM from './main-mode.js';
import type { Ph1Ctx, Ph1Step } from './step.js';

export interface Ph1Mode {
  /** racoon's words in "begin %s mode." */
  name: string;
  i1(ph1: Phase1, ctx: Ph1Ctx): Uint8Array;
  r1(ph1: Phase1, msg: IsakmpMessage, raw: Uint8Array, ctx: Ph1Ctx): Uint8Array;
  steps: Readonly<Record<Phase1['side'], Partial<Record<Phase1['state'], Ph1Step>>>>;
}

const MODES: ReadonlyMap<number, Ph1Mode> = new Map([
  [C.ISAKMP_ETYPE_IDENT, { name: 'Identity Protection', i1: (p) => MM.i1Send(p), r1: MM.r1Step, steps: MM.PH1_STEPS }],
  [C.ISAKMP_ETYPE_AGG, { name: 'Aggressive', i1: AM.i1Send, r1: AM.r1Step, steps: AM.AGG_STEPS }],
  [C.ISAKMP_ETYPE_BASE, { name: 'Base', i1: BM.i1Send, r1: BM.r1Step, steps: BM.BASE_STEPS }],
]);

/** The phase 1 exchange of an exchange type; undefined for any other type. */
export function ph1Mode(etype: number): Ph1Mode | undefined {
  return MODES.get(etype);
}

/** Whether an exchange type is a phase 1 exchange (main, aggressive or base mode). */
export function isPh1Etype(etype: number): boolean {
  return MODES.has(etype);
}
