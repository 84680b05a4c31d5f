package org.jgan.shell.internal;

import java.util.Arrays;
import java.util.Set;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.jgan.api.TrainingService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code gan:watch}: the live progress view of a run ({@link ProgressWatch}). */
@Component(service = WatchCommand.class, immediate = true, property = {
    "osgi.command.scope=gan", "osgi.command.function=watch"})
public final class WatchCommand {

    private static final double DEFAULT_INTERVAL_SECONDS = 2;
    private final TrainingService training;

    @Activate
    public WatchCommand(@Reference TrainingService training) {
        this.training = training;
    }

    @Descriptor("Follow a run live: print its progress line (state, iteration, rate, ETA, losses, metrics) every "
            + "interval until it completes, fails or is stopped; Enter ends the view (so does Ctrl-C where the "
            + "terminal turns it into an interrupt), the run goes on")
    public void watch(CommandSession session,
            @Descriptor("[RUN] (default: the only run going) interval=seconds (default 2, 0.1..3600)") String... args) {
        ExploreArguments a = ExploreArguments.parse("gan:watch", Arrays.asList(args), Set.of("interval"));
        long interval = ProgressWatch.intervalMillis(a, DEFAULT_INTERVAL_SECONDS);
        if (a.words().contains(" ")) {
            throw new IllegalArgumentException("gan:watch: expected one run id, got '" + a.words() + "'");
        }
        String run = a.words().isEmpty() ? ProgressWatch.onlyActive("gan:watch", training.runs()) : a.words();
        ProgressWatch.follow(() -> training.status(run), session.getConsole(), interval,
                ProgressWatch.keyboard(session.getKeyboard()));
    }
}
