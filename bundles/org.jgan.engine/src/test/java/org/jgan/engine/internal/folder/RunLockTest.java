package org.jgan.engine.internal.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process's own lock survives everything that looks at the folder from the same process: POSIX record locks belong
 * to the process, and closing any channel of the lock file would release them. Another process (Python's lockf, the
 * same fcntl locks) is the witness.
 */
class RunLockTest {

    /** Whether another process can take the lock of {@code file} now. */
    private static boolean lockableElsewhere(Path file) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import fcntl, sys\n"
                + "f = open(sys.argv[1], 'r+')\n"
                + "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(1)\n",
                file.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not answer in 60 s");
        return p.exitValue() == 0;
    }

    @Test
    void lookingAtOrRetakingAHeldFolderInTheSameProcessKeepsItsLock(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(RunLock.FILE);
        try (RunLock held = RunLock.acquire(dir, "r1")) {
            assertTrue(!lockableElsewhere(file), "held: another process cannot take it");
            assertTrue(RunLock.held(dir));
            assertTrue(!lockableElsewhere(file), "still held after the same process looked at it");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunLock.acquire(dir, "r2"));
            assertTrue(e.getMessage().contains("is being trained by this process (pid " + ProcessHandle.current().pid() + ", run 'r1')"), e.getMessage());
            assertTrue(!lockableElsewhere(file), "still held after a second trainer of this process was refused");
            assertEquals(true, Files.exists(file));
        }
        assertTrue(lockableElsewhere(file), "released when closed");
        assertTrue(!RunLock.held(dir));
    }
}
