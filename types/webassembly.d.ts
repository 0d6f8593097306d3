// The part of the WebAssembly JS API oko uses. Node 20 has it at run time, but @types/node 20
// does not declare it (only lib.dom does, which a Node library must not pull in).
declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | Table | number
  type Imports = Record<string, Record<string, ImportValue>>
  type Exports = Record<string, Function | Global | Memory | Table>
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor)
    readonly buffer: ArrayBuffer
    grow(delta: number): number
  }
  class Module {
    constructor(bytes: BufferSource)
  }
  class Instance {
    constructor(module: Module, imports?: Imports)
    readonly exports: Exports
  }
  class Global { value: unknown }
  class Table { readonly length: number }
  type BufferSource = ArrayBufferView | ArrayBuffer
  function compile(bytes: BufferSource): Promise<Module>
  function validate(bytes: BufferSource): boolean
  function instantiate(module: Module, imports?: Imports): Promise<Instance>
}
