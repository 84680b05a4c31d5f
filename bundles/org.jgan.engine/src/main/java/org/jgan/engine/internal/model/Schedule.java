package org.jgan.engine.internal.model;

import java.util.List;
import org.jgan.api.Side;
import org.jgan.engine.internal.config.RunSettings;
import org.jgan.engine.internal.config.RunSpec;

/**
 * What one iteration of a run does, in order, as data: a list of phases, after the phases of StyleGAN2-ADA's
 * training loop (Karras et al. 2020). A phase is one update of one player, repeated {@code repeat} times, each
 * repetition drawing its data, latent and noise batches from its own random stream ({@code stream + r}); after the
 * update its {@link Action actions} run in order. The regularization terms of an update are not phases of their
 * own: {@link TermWeights} says which terms are due at each player step (lazy terms every N steps, weighted by N), and
 * an update computes only the due ones, so a lazy term costs nothing on the steps it skips.
 * <p>
 * The alternating minibatch algorithm of Goodfellow et al. 2014 (Algorithm 1) with k discriminator steps per
 * generator step is the schedule {@link #of} returns:
 * <pre>
 * name  side           repeat   stream     actions
 * D     discriminator  dSteps   0          update, constrain
 * G     generator      1        1000003    update, constrain, average (only with an EMA of G)
 * </pre>
 *
 * @param phases the phases of an iteration, in order
 */
public record Schedule(List<Phase> phases) {

    /** The random stream of the generator's update (streams 0 .. dSteps - 1 are the discriminator's). */
    public static final long GENERATOR_STREAM = 1_000_003L;

    /** What a phase does after computing its player's gradients. */
    public enum Action {
        /** Applies the gradients with the player's optimizer, then the new state buffers (running statistics). */
        UPDATE,
        /** Applies the constraints of the phase's player to its parameters (weight clipping). */
        CONSTRAIN,
        /** Updates the exponential moving average of the generator's weights. */
        AVERAGE
    }

    /**
     * One update of one player.
     *
     * @param name    the phase's name, as in messages
     * @param side    the player updated
     * @param repeat  updates per iteration
     * @param stream  the random stream of the first repetition; repetition r draws from {@code stream + r}
     * @param actions what follows the computation of the gradients, in order
     * @param joint   true for the update of a {@link org.jgan.api.Model}'s objective: gradients of one loss with
     *                respect to both networks' parameters, then {@link Action#UPDATE} steps both optimizers
     *                ({@code side} is then the generator, whose steps count the iterations)
     */
    public record Phase(String name, Side side, int repeat, long stream, List<Action> actions, boolean joint) {

        public Phase {
            if (repeat < 1) {
                throw new IllegalArgumentException("phase '" + name + "': repeat " + repeat + "; expected >= 1");
            }
            actions = List.copyOf(actions);
        }

        /** An update of one player. */
        public Phase(String name, Side side, int repeat, long stream, List<Action> actions) {
            this(name, side, repeat, stream, actions, false);
        }
    }

    public Schedule {
        phases = List.copyOf(phases);
    }

    /**
     * The schedule of a run: k = dSteps discriminator updates, then one generator update, averaged when the run
     * {@link RunSpec#keepsAverage keeps an EMA}. A {@link org.jgan.api.Model}'s run is one joint phase:
     * <pre>
     * name  side           repeat   stream     actions
     * M     (both)         1        1000003    update, average (only with an EMA of G)
     * </pre>
     */
    public static Schedule of(RunSpec spec) {
        RunSettings settings = spec.settings();
        if (!spec.isGame()) {
            return new Schedule(List.of(new Phase("M", Side.GENERATOR, 1, GENERATOR_STREAM,
                    spec.keepsAverage() ? List.of(Action.UPDATE, Action.AVERAGE) : List.of(Action.UPDATE), true)));
        }
        List<Action> g = spec.keepsAverage() ? List.of(Action.UPDATE, Action.CONSTRAIN, Action.AVERAGE)
                : List.of(Action.UPDATE, Action.CONSTRAIN);
        return new Schedule(List.of(
                new Phase("D", Side.DISCRIMINATOR, settings.dSteps(), 0, List.of(Action.UPDATE, Action.CONSTRAIN)),
                new Phase("G", Side.GENERATOR, 1, GENERATOR_STREAM, g)));
    }

    /** The (first) phase updating {@code side}. */
    public Phase phase(Side side) {
        return phases.stream().filter(p -> p.side() == side).findFirst().orElseThrow(() ->
                new IllegalArgumentException("the schedule " + phases + " has no phase updating the " + side));
    }
}
