package org.jgan.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** losses.csv as the charts get it: the rows after an iteration, empty cells as null, a row being written left out. */
class LossesTest {

    @Test
    void rowsAfterTheIterationAsked(@TempDir Path run) throws Exception {
        Files.writeString(run.resolve("losses.csv"), "iteration,d_loss,g_r1\n1,1.5,\n2,1.25,0.5\n3,1.0,0.25\n4,0.");
        Map<String, Object> all = DashboardServlet.losses(run, 0);
        assertEquals(List.of("iteration", "d_loss", "g_r1"), all.get("columns"));
        @SuppressWarnings("unchecked") List<Double[]> rows = (List<Double[]>) all.get("rows");
        assertEquals(3, rows.size(), "the row cut short is left out");
        assertArrayEquals(new Double[] {1.0, 1.5, null}, rows.get(0));
        @SuppressWarnings("unchecked") List<Double[]> after = (List<Double[]>) DashboardServlet.losses(run, 2).get("rows");
        assertEquals(1, after.size());
        assertArrayEquals(new Double[] {3.0, 1.0, 0.25}, after.get(0));
        // a last row written only in part can have all its cells (the buffer went out inside its last number)
        Files.writeString(run.resolve("losses.csv"), "iteration,d_loss,g_r1\n1,1.5,\n2,1.25,0.5\n3,1.0,0.2");
        @SuppressWarnings("unchecked") List<Double[]> written = (List<Double[]>) DashboardServlet.losses(run, 0).get("rows");
        assertEquals(2, written.size(), "the row without its newline waits until it has one");
        assertEquals("{\"a\":null,\"b\":1.5}", JsonOut.write(new java.util.TreeMap<>(Map.of("a", Double.NaN, "b", 1.5))),
                "a NaN loss is null in JSON");
    }
}
