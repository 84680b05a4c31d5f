package org.jgan.engine.internal.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;

/**
 * One player's optimizer: ND4J's Adam (Kingma and Ba 2014) or RMSProp updaters, one per parameter, with their
 * state in flat arrays that checkpoints save.
 */
public final class Optimizer {

    private final IUpdater config;
    private final Map<String, GradientUpdater<?>> updaters = new LinkedHashMap<>();
    private final Map<String, INDArray> states = new LinkedHashMap<>();
    private long steps;

    Optimizer(String kind, double lr, double beta1, double beta2, double epsilon, double rmsDecay,
            Map<String, INDArray> params, List<String> names) {
        config = switch (kind) {
            case "adam" -> new Adam(lr, beta1, beta2, epsilon);
            case "rmsprop" -> new RmsProp(lr, rmsDecay, epsilon);
            default -> throw new IllegalArgumentException("unknown optimizer '" + kind + "'; expected adam or rmsprop");
        };
        track(params, names);
    }

    /** Adds fresh state for parameters not seen before (a regularizer swapped in may add some). */
    void track(Map<String, INDArray> params, List<String> names) {
        for (String name : names) {
            if (states.containsKey(name)) {
                continue;
            }
            long n = params.get(name).length();
            long size = config.stateSize(n);
            INDArray state = Nd4j.zeros(DataType.FLOAT, 1, Math.max(size, 1));
            states.put(name, state);
            updaters.put(name, size == 0 ? null : config.instantiate(state, true));
        }
    }

    /** Updates the parameters in place with the gradients (gradient descent on the loss). */
    void step(Map<String, INDArray> params, Map<String, INDArray> gradients) {
        int iteration = (int) Math.min(steps, Integer.MAX_VALUE);
        for (Map.Entry<String, GradientUpdater<?>> e : updaters.entrySet()) {
            INDArray param = params.get(e.getKey());
            INDArray grad = gradients.get(e.getKey());
            if (grad == null) {
                // The parameter does not influence this player's loss (e.g. a conditional branch unused here).
                continue;
            }
            INDArray flat = grad.castTo(DataType.FLOAT).dup('c');
            INDArray update = flat.reshape('c', 1, param.length());
            e.getValue().applyUpdater(update, iteration, 0);
            param.subi(update.reshape('c', param.shape()));
            // freed now, not when a garbage collection happens to run (a large network's copy is gigabytes)
            flat.close();
        }
        steps++;
    }

    /**
     * New hyperparameters from the next step on; the moment estimates and the step count (Adam's bias
     * correction) carry over. ND4J's updaters read their configuration at every step.
     */
    void set(double lr, double beta1, double beta2, double epsilon, double rmsDecay) {
        if (config instanceof Adam a) {
            a.setLearningRate(lr);
            a.setBeta1(beta1);
            a.setBeta2(beta2);
            a.setEpsilon(epsilon);
        } else if (config instanceof RmsProp r) {
            r.setLearningRate(lr);
            r.setRmsDecay(rmsDecay);
            r.setEpsilon(epsilon);
        }
    }

    long steps() {
        return steps;
    }

    void restore(long steps, Map<String, INDArray> saved) {
        this.steps = steps;
        for (Map.Entry<String, INDArray> e : states.entrySet()) {
            INDArray s = saved.get(e.getKey());
            if (s == null || s.length() != e.getValue().length()) {
                throw new IllegalArgumentException("checkpoint has no matching optimizer state for '" + e.getKey() + "'");
            }
            e.getValue().assign(s.reshape(e.getValue().shape()));
        }
    }

    /** Optimizer state arrays by parameter name (live views; copy before keeping). */
    Map<String, INDArray> states() {
        return states;
    }
}
