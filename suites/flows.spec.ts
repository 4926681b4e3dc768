// Runs the flows chosen by `callreplay run` (one test per flow, one step per flow step).
import { defineFlowTests } from 'callreplay/runner';

defineFlowTests();
