// Public surface of uipsecd's IKE/app channel: its numbers, the frame codec and the client.
export * from './constants.js';
export * from './frames.js';
export * from './client.js';
