package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.memory.SparsePhysicalMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Places sessions' regions in host physical memory, as {@link HostMemoryLayout} lays it out, and
 * gives the memory back on release: an anonymous range is zeroed before it can be handed out again
 * (the kernel hands out zeroed pages, so one session never reads another's data), a file-backed one
 * is unplaced and its file deleted.
 *
 * <p>Storage: the sparse memory has no way to drop a page's storage, so a destroyed anonymous
 * region's written pages stay allocated (zeroed). First-fit placement hands the same range out
 * again, so the storage held is bounded by the high-water mark of anonymous regions, not by how
 * many were ever created.
 *
 * <p>Thread-safe: the windows are, and the sparse memory serialises placing and removing files.
 */
final class HostRegions {
    private final SparsePhysicalMemory memory;
    private final Path directory;
    private final RangeAllocator anonymous =
            new RangeAllocator("anonymous region", HostMemoryLayout.ANONYMOUS_BASE, HostMemoryLayout.ANONYMOUS_SIZE);
    private final RangeAllocator fileBacked =
            new RangeAllocator("file-backed region", HostMemoryLayout.FILE_BASE, HostMemoryLayout.FILE_SIZE);

    HostRegions(SparsePhysicalMemory memory, Path directory) {
        this.memory = memory;
        this.directory = directory;
    }

    SparsePhysicalMemory memory() {
        return memory;
    }

    /**
     * Checks a file name a client gave: a plain name in the region directory.
     *
     * @throws IommuException EINVAL naming the bad name
     */
    static void checkFileName(String name) {
        boolean bad = name.length() > 255 || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\\') >= 0 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
        if (bad) {
            throw IommuException.of(Errno.EINVAL, "region file name '%s' is not a plain file name", name);
        }
    }

    /**
     * Places {@code size} bytes: anonymous memory when {@code fileName} is empty, else a new file of
     * that name in the region directory ({@code fileName} already passed {@link #checkFileName}: the
     * session checks it before its quotas).
     *
     * @throws IommuException ENOMEM when the window is full, EEXIST when the file exists, EIO when it
     *     cannot be created; nothing is left behind
     */
    HostBacking place(long size, String fileName) {
        if (fileName.isEmpty()) {
            return new HostBacking(anonymous.allocate(size), size, null);
        }
        Path file = directory.resolve(fileName);
        long base = fileBacked.allocate(size);
        try {
            Files.createDirectories(directory);
            Files.createFile(file);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            fileBacked.free(base);
            throw IommuException.of(Errno.EEXIST, "region file %s exists", file);
        } catch (IOException e) {
            fileBacked.free(base);
            throw new IommuException(Errno.EIO, "cannot create region file " + file + ": " + e.getMessage(), e);
        }
        try {
            memory.addFileRegion(base, file, 0, size);
        } catch (IommuException e) {
            deleteQuietly(file);
            fileBacked.free(base);
            throw e;
        }
        return new HostBacking(base, size, file);
    }

    /** Gives {@code backing} back; nothing may reach the range any more. */
    void release(HostBacking backing) {
        if (backing.file() == null) {
            memory.zero(backing.base(), backing.size());
            anonymous.free(backing.base());
            return;
        }
        memory.removeFileRegion(backing.base());
        deleteQuietly(backing.file());
        fileBacked.free(backing.base());
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            System.getLogger(HostRegions.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot delete region file " + file + ": " + e.getMessage());
        }
    }
}
