// usage-report — the ES module face of index.cjs, where the implementation and its notes are.
import helper from './index.cjs';

export const { configure, report, track, command, login, logout, level, history, forget, commander, errorType } = helper;
