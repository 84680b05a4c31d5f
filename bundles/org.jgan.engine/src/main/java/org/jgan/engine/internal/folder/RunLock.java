package org.jgan.engine.internal.folder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * At most one trainer per run folder: an operating-system lock on the folder's {@code .lock} file, held for the
 * run's life. The operating system releases it when the process ends in any way (kill -9 included), so a lock is
 * never stale after a crash; the file's text names the holder (pid, host, run, since when) for the message that
 * refuses a second trainer. Two runs of one runtime on one folder are refused alike.
 */
public final class RunLock implements AutoCloseable {

    public static final String FILE = ".lock";

    /** The lock files this process holds (real paths) and their runs; guards the lock files' channels too. */
    private static final Map<Path, String> HELD = new HashMap<>();

    private final FileChannel channel;
    private final FileLock lock;
    private final Path key;

    private RunLock(FileChannel channel, FileLock lock, Path key) {
        this.channel = channel;
        this.lock = lock;
        this.key = key;
    }

    /**
     * Takes the lock of {@code dir} for run {@code run}.
     *
     * @throws IllegalStateException naming the holder when another trainer holds it
     * @throws IOException           when the lock file cannot be created
     */
    public static RunLock acquire(Path dir, String run) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        Path key = dir.toRealPath().resolve(FILE);
        synchronized (HELD) {
            // a folder this process trains is refused before any channel is opened on its lock file: closing a
            // second channel of the file would release the trainer's lock (POSIX locks belong to the process)
            String ours = HELD.get(key);
            if (ours != null) {
                throw new IllegalStateException("run folder " + dir.toAbsolutePath() + " is being trained by this "
                        + "process (pid " + ProcessHandle.current().pid() + ", run '" + ours + "'); expected one "
                        + "trainer per run folder: stop that one, or choose another name= or outputDir=");
            }
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = tryLock(channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                throw new IllegalStateException("run folder " + dir.toAbsolutePath() + " is being trained by "
                        + (holder.isEmpty() ? "another trainer" : holder) + "; expected one trainer per run folder: "
                        + "stop that one, or choose another name= or outputDir=");
            }
            String me = "pid " + ProcessHandle.current().pid() + " on host " + host() + " (run '" + run + "', since "
                    + Instant.now() + ")";
            try {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                channel.force(false);
            } catch (IOException e) {
                // the lock holds without its note (a full disk); the refusal message then says "another trainer"
            }
            HELD.put(key, run);
            return new RunLock(channel, lock, key);
        }
    }

    /**
     * The lock, tried for about a second: a process that only checks whether the folder is being trained (a sweep's
     * status on another machine of a cluster) holds it for a moment, and must not make a starting trainer fail.
     */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        for (int attempt = 0; ; attempt++) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException probeOfThisProcess) {
                lock = null; // another thread's held() has it for a moment
            }
            if (lock != null || attempt == 10) {
                return lock;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * Whether a trainer (in this process or another) holds the lock of {@code dir} now. Tried once, without waiting
     * and without creating the lock file; taken for a moment when free, which a starting trainer's retries allow.
     */
    public static boolean held(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return false;
        }
        synchronized (HELD) {
            try {
                // never a channel on a lock file this process holds: its close would release the trainer's lock
                if (HELD.containsKey(dir.toRealPath().resolve(FILE))) {
                    return true;
                }
            } catch (IOException e) {
                return false;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    return true;
                }
                lock.release();
                return false;
            } catch (OverlappingFileLockException inThisProcess) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            int n = channel.read(b, 0);
            return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** This machine's name, as the lock note records it. */
    static String host() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = Files.readString(Path.of("/etc/hostname")).trim();
            } catch (IOException e) {
                h = "";
            }
        }
        if (h.isBlank()) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "unknown";
            }
        }
        return h;
    }

    /** Releases the lock (the file stays; its lock, not its text, is what counts). */
    @Override
    public void close() {
        synchronized (HELD) {
            HELD.remove(key);
        }
        try {
            lock.release();
        } catch (IOException | RuntimeException e) {
            // the channel's close below releases it too
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
