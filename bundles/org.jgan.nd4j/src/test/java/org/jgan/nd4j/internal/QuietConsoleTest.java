package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** SameDiff's "Added differentiated op" lines stay off standard output; everything else reaches it. */
class QuietConsoleTest {

    /** What SameDiff and a caller print while a gradient function is built, with or without the filter. */
    private static String printedWhileDifferentiating(boolean quiet) {
        PrintStream before = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Runnable undo = quiet ? QuietConsole.install() : () -> { };
        try {
            SameDiff sd = SameDiff.create();
            SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 3, 2));
            SDVariable x = sd.constant("x", Nd4j.rand(DataType.FLOAT, 4, 3));
            sd.setLossVariables(sd.math.tanh(x.mmul(w)).sum());
            sd.calculateGradients(java.util.Map.of(), "w");
            System.out.println("iteration 10/10");
            System.out.print("no newline ");
            System.out.println(42);
        } finally {
            undo.run();
            System.setOut(before);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theDifferentiationLinesAreDroppedAndTheRestPassesThrough() {
        String plain = printedWhileDifferentiating(false);
        assertTrue(plain.contains("Added differentiated op"), "SameDiff prints them (else this test tests nothing)");
        String quiet = printedWhileDifferentiating(true);
        assertEquals("iteration 10/10\nno newline 42\n", quiet);
    }

    @Test
    void uninstallingPutsBackTheStreamItReplaced() {
        PrintStream before = System.out;
        Runnable undo = QuietConsole.install();
        try {
            PrintStream quiet = System.out;
            assertTrue(quiet instanceof QuietConsole);
            QuietConsole.install().run(); // a second install, undone: changes nothing
            assertSame(quiet, System.out);
        } finally {
            undo.run();
        }
        assertSame(before, System.out);
    }
}
