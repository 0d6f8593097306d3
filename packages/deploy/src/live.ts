import type { AlarmDesk } from '@oko/alarms'
import { LiveServer, type LiveFrames } from '@oko/live'
import type { Deployment } from './deploy.js'
import type { HttpConfig } from './http-schema.js'

/** The live page of a running deployment (`http:`): its cameras, their pictures, its alarm desk. */
export function openLivePage(config: HttpConfig, title: string, deployment: Deployment, frames: LiveFrames, desk: AlarmDesk | undefined): Promise<LiveServer> {
  return LiveServer.listen(
    {
      listen: config.listen,
      title,
      auth: { ...(config.auth.token !== undefined ? { token: config.auth.token } : {}), users: config.auth.users, ...(config.auth.sessionHours !== undefined ? { sessionHours: config.auth.sessionHours } : {}) },
      ...(config.keepEvents !== undefined ? { keepEvents: config.keepEvents } : {}),
    },
    { run: deployment.run, cameras: () => deployment.cameras().map((c) => c.id), frames, ...(desk ? { desk } : {}) },
  )
}
