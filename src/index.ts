// First, before any other module runs: the garbage collector's setting (see gc-tuning.ts).
import './gc-tuning.js';
import { drillTargetTask, run, runAction } from './main.js';

// `node dist/index.js drill-target start|stop` serves the drill action's own steps; anything else is the action.
await run(process.argv[2] === 'drill-target' ? drillTargetTask(process.argv[3]) : runAction);
