// 'uipsec/setkey': setkey(8)'s language and output as functions. Parse setkey text into statements, turn
// them into the PF_KEY messages setkey sends, print PF_KEY dump replies as `setkey -D` / `-DP` text or JSON,
// and run a whole setkey command line against any PF_KEY connection.
export { parseSetkey, hexKeyBytes, type ParseOptions, type ParseResult } from './parser.js';
export type { Statement, SaStatement, SpdStatement, PolicySpec, Selector } from './ast.js';
export { statementToMessages, type ToPfkeyOptions, type ToPfkeyResult } from './to-pfkey.js';
export {
  saViewFromMessage,
  policyViewFromMessage,
  formatReply,
  formatReplies,
  type ReplyOptions,
} from './from-pfkey.js';
export { printSa, printSad, printPolicy, printSpd, type PrintOptions } from './print.js';
export type { SaView, PolicyView } from './view.js';
export { saToJson, policyToJson } from './json.js';
export { runSetkey, processIo, type SetkeyIo } from './main.js';
