package org.jgan.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.jgan.api.dto.RunStatusDTO.State;

/** Shell commands and run states as the in-framework tests see them. */
final class Gogo {

    private Gogo() {
    }

    /** Runs a command line; returns what it printed and its result, or its error message. */
    static String run(CommandProcessor commands, String command) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (CommandSession session = commands.createSession(new ByteArrayInputStream(new byte[0]), out, out)) {
            Object result;
            try {
                result = session.execute(command);
            } catch (Exception e) {
                return bytes.toString(StandardCharsets.UTF_8) + e.getMessage();
            }
            return bytes.toString(StandardCharsets.UTF_8) + (result == null ? "" : session.format(result, 0));
        }
    }

    /** Waits until a run reaches one of {@code states}. */
    static RunStatusDTO awaitState(TrainingService training, String run, Set<State> states, long millis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        RunStatusDTO s = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                s = training.status(run);
                if (states.contains(s.state)) {
                    return s;
                }
            } catch (IllegalArgumentException notYet) {
                // the configuration has not reached the engine yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("run " + run + " did not reach " + states + " in " + millis + " ms; last: "
                + (s == null ? "unknown" : s.summary));
    }
}
