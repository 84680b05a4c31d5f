package org.jgan.engine.internal.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvLogTest {

    @Test
    void cuttingBackKeepsCompleteRowsUpToTheCheckpoint(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("losses.csv");
        // rows 1..4, a repeated row 3 (a resume that was not cut back), then a row cut short by kill -9
        Files.writeString(f, "iteration,d_loss\n1,0.5\n2,0.4\n3,0.3\n4,0.2\n3,0.31\n5,0.");
        assertEquals(2, CsvLog.cutBack(f, 4));
        assertEquals("iteration,d_loss\n1,0.5\n2,0.4\n3,0.3\n4,0.2\n", Files.readString(f));
        assertEquals(2, CsvLog.cutBack(f, 2));
        assertEquals("iteration,d_loss\n1,0.5\n2,0.4\n", Files.readString(f));
        assertEquals(0, CsvLog.cutBack(f, 2), "nothing to drop leaves the file alone");
        assertEquals(2, CsvLog.cutBack(f, 0));
        assertEquals("iteration,d_loss\n", Files.readString(f));
    }

    @Test
    void aRowCutShortThatLooksLikeAnEarlierIterationIsDropped(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("losses.csv");
        // "27,..." cut after its first digit reads as iteration 2: it is not a complete line, so it goes
        Files.writeString(f, "iteration,d_loss\n25,0.5\n26,0.4\n2");
        assertEquals(1, CsvLog.cutBack(f, 26));
        assertEquals("iteration,d_loss\n25,0.5\n26,0.4\n", Files.readString(f));
        // metrics.csv keeps several rows of one iteration
        Path m = dir.resolve("metrics.csv");
        Files.writeString(m, "iteration,metric,value\n10,a,1\n10,b,2\n20,a,3\n");
        assertEquals(1, CsvLog.cutBack(m, 10));
        assertEquals("iteration,metric,value\n10,a,1\n10,b,2\n", Files.readString(m));
        // a header cut short: the log starts anew; a missing log is left missing
        Files.writeString(f, "iteration,d_lo");
        CsvLog.cutBack(f, 5);
        assertEquals(false, Files.exists(f));
        assertEquals(0, CsvLog.cutBack(dir.resolve("none.csv"), 5));
    }

    @Test
    void fieldsAreQuotedWhenTheyHoldSeparators() {
        assertEquals("r1", CsvLog.field("r1"));
        assertEquals("\"r1,wgan-gp\"", CsvLog.field("r1,wgan-gp"));
        assertEquals("\"say \"\"hi\"\"\"", CsvLog.field("say \"hi\""));
        assertEquals("", CsvLog.field(null));
    }
}
