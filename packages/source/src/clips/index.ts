export { PacketRing, type PacketRingOptions, type PacketWindow, type RingPacket } from './packet-ring.js'
export { writeClip, type ClipInfo } from './write-clip.js'
