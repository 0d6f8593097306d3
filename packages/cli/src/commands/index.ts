import type { Command } from '../command.js'
import { demoCommand } from './demo.js'
import { countCommand } from './count.js'
import { evalFacesCommand } from './eval-faces.js'
import { evalLinesCommand } from './eval-lines.js'
import { evalMotionCommand } from './eval-motion.js'
import { evalPlatesCommand } from './eval-plates.js'
import { evalTracksCommand } from './eval-tracks.js'
import { facesEnrolCommand } from './faces-enrol.js'
import { benchCommand } from './bench.js'
import { clusterApplyCommand, clusterStatusCommand, workerCommand } from './cluster.js'
import { probeCommand } from './probe.js'
import { runCommand } from './run.js'
import { wasmCommand } from './wasm.js'

/** Every command of `oko`, in help order. Each lives in its own file. */
export const commands: readonly Command[] = [demoCommand, runCommand, benchCommand, evalMotionCommand, evalPlatesCommand, evalFacesCommand, evalTracksCommand, evalLinesCommand, countCommand, facesEnrolCommand, clusterApplyCommand, workerCommand, clusterStatusCommand, probeCommand, wasmCommand]
