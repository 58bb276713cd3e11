// 'uipsec/racoon': racoon's configuration and the daemon. Parse and check racoon.conf and psk.txt, start
// racoon against a uipsecd (what `racoon -F` does), or drive the IKEv1 engine in-process with your own
// PF_KEY client and IKE sender.
export { parseRacoonConf, loadRacoonConf, emptyConf, type ParseResult, type ConfFs } from './conf/parser.js';
export { validateRacoonConf } from './conf/validate.js';
export type { RacoonConf, RemoteConf, SainfoConf, ProposalConf } from './conf/ast.js';
export { parsePskText, loadPskFile, lookupPsk, type PskEntry, type PskFile } from './psk.js';
export { startRacoon, parseRacoonArgs, type RacoonArgs, type RacoonProcess } from './main.js';
export { Racoon, type RacoonOptions, type RacoonStats, type IkeSender } from './daemon.js';
export { runRacoonctl } from './racoonctl.js';
