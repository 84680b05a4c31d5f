/**
 * Native memory: {@code GraphMemory} (SameDiff graphs opened and released, array caches freed at once), {@code
 * MemoryBudget} (the runtime's budget, checked before parameters are allocated and while runs train), {@code
 * ProcessMemory} (resident size, reclaiming after a run) and {@code ByteSize}. Depends on nothing else of the engine.
 */
package org.jgan.engine.internal.memory;
