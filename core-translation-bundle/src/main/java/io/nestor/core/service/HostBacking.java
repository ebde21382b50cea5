package io.nestor.core.service;

import java.nio.file.Path;

/**
 * The host memory behind one region: a contiguous host physical range and, for a file-backed
 * region, the file mapped there.
 *
 * @param base the host physical address of the first byte
 * @param size bytes
 * @param file the backing file, or {@code null} for anonymous memory
 */
record HostBacking(long base, long size, Path file) {
}
