package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link OpenMpTeam}: a team size set on a thread is that thread's alone (OpenMP's {@code nthreads-var} of its data
 * environment), and {@link OpenMpTeam#restore} gives back what {@link OpenMpTeam#alone} took.
 */
class OpenMpTeamTest {

    /** The team size a new thread starts with. */
    static int freshThreadsTeam() throws Exception {
        CompletableFuture<Integer> size = new CompletableFuture<>();
        Thread t = new Thread(() -> size.complete(OpenMpTeam.size()));
        t.start();
        return size.get(30, TimeUnit.SECONDS);
    }

    @Test
    void oneThreadsTeamLeavesOtherThreadsTeams() throws Exception {
        Nd4j.create(DataType.FLOAT, 1);
        int fresh = freshThreadsTeam();
        int mine = OpenMpTeam.size();
        // (the unit tests run with OMP_NUM_THREADS=1: a size of its own on this thread, whatever the default)
        int set = fresh + 2;
        try {
            OpenMpTeam.set(set);
            assertEquals(set, OpenMpTeam.size(), "this thread's team");
            assertEquals(fresh, freshThreadsTeam(), "another thread's team");
            int before = OpenMpTeam.alone();
            assertEquals(set, before, "the size before");
            assertEquals(1, OpenMpTeam.size(), "this thread's team of one");
            assertEquals(fresh, freshThreadsTeam(), "another thread's team while this one's is one");
            assertEquals(0, OpenMpTeam.alone(), "already one: nothing to restore");
            OpenMpTeam.restore(before);
            assertEquals(set, OpenMpTeam.size(), "this thread's team restored");
        } finally {
            OpenMpTeam.set(mine);
        }
    }
}
