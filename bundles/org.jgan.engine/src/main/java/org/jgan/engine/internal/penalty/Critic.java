package org.jgan.engine.internal.penalty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jgan.api.Critique;
import org.jgan.api.DataShape;
import org.jgan.api.Networks;
import org.jgan.api.Side;
import org.jgan.engine.internal.graph.BatchNormFusion;
import org.jgan.engine.internal.graph.GraphPlan;
import org.jgan.engine.internal.graph.GraphScope;
import org.jgan.engine.internal.graph.InPlace;
import org.jgan.engine.internal.graph.ParameterStore;
import org.jgan.engine.internal.memory.GraphMemory;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseOp;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.RandomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One build of the discriminator: its graph, logit, parameters, masks (see {@link GraphScope.Kinks}), the new values
 * of its state buffers at the points (batch norm's running statistics) and, in a tangent graph, the ops that have no
 * tangent rule and the tangent variable of each forward variable that has one ({@code tangentOf}, empty elsewhere).
 */
record Critic(SameDiff sd, String logits, List<String> params, List<String> masks,
        List<GraphScope.BufferUpdate> buffers, List<String> unsupported, Map<String, String> tangentOf) {

    /** The names of the graph's inputs: points, per-point weights, labels, input tangent, tangent weights. */
    static final String X = "x", W = "w", LABELS = "labels", XDOT = "xdot", WT = "wt";

    /** Op names of piecewise-linear ops that have kinks in the input, when a network builds them directly. */
    static final Set<String> KINKED_OPS = Set.of("relu", "relu6", "leakyrelu", "abs", "maxpool2d", "maxpool3dnew",
            "max_pairwise", "min_pairwise", "maximum", "minimum", "clipbyvalue", "hardtanh", "prelu", "thresholdedrelu");

    static Critic build(GraphScope.Kinks kinks, Networks networks, DataShape shape, int classes,
            ParameterStore store, List<GraphScope.Reparam> reparams) {
        return build(kinks, false, networks, shape, classes, store, reparams);
    }

    /**
     * The discriminator with the forward-mode tangent of its logit along a fed input tangent {@code XDOT}
     * ({@link Tangents}); its loss is {@code sum_j w_j psi(x_j) + wt_j psi'(x_j)}.
     */
    static Critic tangent(Networks networks, DataShape shape, int classes, ParameterStore store,
            List<GraphScope.Reparam> reparams) {
        return build(GraphScope.Kinks.PLAIN, true, true, networks, shape, classes, store, reparams);
    }

    /**
     * The tangent graph without the first-order term: its loss is {@code sum_j wt_j psi'(x_j)} alone, for penalties
     * that do not depend on the logit (R1, R2, WGAN-GP, DRAGAN: {@code w = 0}). The full graph computes the same
     * gradient, plus a backward pass of zeros through the discriminator's primal path, which on a piecewise-linear
     * discriminator is otherwise not needed at all (its masks carry no gradient).
     */
    static Critic tangentOnly(Networks networks, DataShape shape, int classes, ParameterStore store,
            List<GraphScope.Reparam> reparams) {
        return build(GraphScope.Kinks.PLAIN, true, false, networks, shape, classes, store, reparams);
    }

    private static Critic build(GraphScope.Kinks kinks, boolean tangent, Networks networks, DataShape shape,
            int classes, ParameterStore store, List<GraphScope.Reparam> reparams) {
        return build(kinks, tangent, true, networks, shape, classes, store, reparams);
    }

    private static Critic build(GraphScope.Kinks kinks, boolean tangent, boolean primal, Networks networks,
            DataShape shape, int classes, ParameterStore store, List<GraphScope.Reparam> reparams) {
        SameDiff sd = GraphMemory.create();
        try {
            // A variable whose array each pass replaces, not a placeholder: SameDiff 1.0.0-M2.1 returns no
            // gradient for a placeholder that reaches the loss through concat (conditional discriminators
            // concatenate label maps).
            // (The tangent graph needs no gradient for x: a placeholder, which spares the first layer's backward
            // pass to its input.)
            SDVariable x = tangent ? sd.placeHolder(X, DataType.FLOAT, shape.batched(-1))
                    : sd.var(X, Nd4j.zeros(DataType.FLOAT, shape.batched(1)));
            SDVariable w = sd.placeHolder(W, DataType.FLOAT, -1, 1);
            // Conditional discriminators see the D step's data labels with every point group (the engine
            // conditions the fake batch of D steps on them too, so each row's points share one label).
            SDVariable labels = classes > 0 ? sd.placeHolder(LABELS, DataType.FLOAT, -1, classes) : null;
            GraphScope scope = new GraphScope(sd, Side.DISCRIMINATOR, true, store, reparams).withKinks(kinks);
            Critique c = networks.discriminator(scope, x, labels);
            SDVariable loss = c.logits().mul(w).sum();
            List<String> unsupported = List.of();
            Map<String, String> tangentOf = new HashMap<>();
            if (tangent) {
                Tangents.Result t = Tangents.extend(sd, X, sd.placeHolder(XDOT, DataType.FLOAT, shape.batched(-1)),
                        c.logits().name(), probeShapes(sd, shape, classes, c.logits().name()));
                unsupported = t.unsupported();
                t.tangents().forEach((v, dot) -> tangentOf.put(v, dot.name()));
                SDVariable psiDot = t.of(c.logits().name());
                if (psiDot != null) {
                    SDVariable second = psiDot.mul(sd.placeHolder(WT, DataType.FLOAT, -1, 1)).sum();
                    loss = primal ? loss.add(second) : second;
                }
            }
            sd.setLossVariables(loss);
            // parameters of D outside its forward pass (an auxiliary head such as InfoGAN's Q) get no penalty
            // gradient
            List<String> params = store.names(Side.DISCRIMINATOR).stream().filter(sd::hasVariable).toList();
            return new Critic(sd, c.logits().name(), params, List.copyOf(scope.masks()),
                    List.copyOf(scope.bufferUpdates()), unsupported, Map.copyOf(tangentOf));
        } catch (RuntimeException | Error e) {
            GraphMemory.release(sd);
            throw e;
        }
    }

    /**
     * The shapes of the variables on the way from the input to the logit, from one forward pass on a batch of
     * 2 random points (so that a per-batch statistic shows as a broadcast).
     */
    private static Map<String, long[]> probeShapes(SameDiff sd, DataShape shape, int classes, String logits) {
        List<String> names = new ArrayList<>(List.of(X));
        for (SameDiffOp op : GraphPath.ops(sd, X, logits)) {
            names.addAll(op.getOutputsOfOp());
        }
        Map<String, INDArray> feed = new HashMap<>(Map.of(X, Nd4j.randn(DataType.FLOAT, shape.batched(2))));
        if (classes > 0) {
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 2, classes);
            labels.putScalar(0, 0, 1).putScalar(1, classes - 1, 1);
            feed.put(LABELS, labels);
        }
        return GraphPath.shapes(sd, feed, names);
    }

    /**
     * What this tangent graph's pass takes from the critic pass on the same points: the forward values it reads
     * ({@code forward}) and the adjoints of its tangents ({@code adjoints}: the tangent graph's gradient variable of
     * a tangent, by name, to the critic graph's gradient variable of its forward variable). Given them, the pass runs
     * neither the forward ops nor the backward ops that would compute them.
     */
    record Reads(Set<String> forward, Map<String, String> adjoints, Set<String> given, Set<String> criticOutputs) {

        static final Reads NONE = of(Set.of(), Map.of());

        /**
         * The forward values and adjoints, with the intermediates the tangent pass is given (both, by its names) and
         * the critic pass's outputs they are read from (by the critic graph's names), made once: each tangent pass
         * reads them.
         */
        static Reads of(Set<String> forward, Map<String, String> adjoints) {
            Set<String> given = new HashSet<>(forward);
            given.addAll(adjoints.keySet());
            Set<String> outputs = new TreeSet<>(forward);
            outputs.addAll(adjoints.values());
            return new Reads(Set.copyOf(forward), Map.copyOf(adjoints), Set.copyOf(given),
                    Collections.unmodifiableSet(outputs));
        }
    }

    /**
     * What this tangent graph's pass takes from the critic graph's pass on the same points ({@link Reads}), where the
     * critic graph computes each of them by the same op on the same inputs ({@link #sameOp}), so that the tangent
     * pass need not compute them again (given to {@link org.jgan.engine.internal.graph.Backprop#run(SameDiff, Map,
     * java.util.Collection, java.util.Collection, Set) Backprop.run}). Both graphs are built by the same calls of the
     * network, so their forward ops have the same names; nothing when an op on the way from X to the logit differs
     * between the two or either graph draws random numbers.
     * <p>
     * <b>Forward values</b>: those the tangent ops, the loss's first-order term and the backward ops read.
     * <p>
     * <b>Adjoints</b>: the critic pass's loss is {@code sum_j psi_j} (weights of 1), the tangent pass's second-order
     * term {@code sum_j psi'_j} (weights of 1), and {@code psi'} is the Jacobian-vector product of {@code psi}
     * ({@link Tangents}: each tangent op applies the derivative of its forward op, a slope mask being the slope the
     * forward op's backpropagation uses). So for every forward variable v on the way with a tangent v', the tangent
     * pass's adjoint {@code d(sum_j psi'_j)/dv'} is {@code (d psi/dv)^T 1}, which is the critic pass's gradient of v:
     * the two are the same function of the same arrays, on any discriminator (batch statistics and smooth ops
     * included: a tangent of such an op also depends on v, but that dependence feeds the adjoint of v, not of v').
     * Given them, the tangent pass's backward pass runs only the ops that turn an adjoint into a parameter's gradient
     * (a tangent convolution's weight gradient from its input tangent and its output's adjoint) and the backward pass
     * through the forward values where the tangents read them other than as masks (batch norm's statistics, smooth
     * activations) or the first-order term needs it; on a piecewise-linear discriminator the whole chain of input
     * gradients through the tangent ops goes. The first-order term {@code sum_j w_j psi_j} does not depend on v', so
     * it leaves the adjoints as they are.
     *
     * @param adjoints whether to take the adjoints too (else the forward values alone), where plans use their own
     *                 arithmetic ({@link GraphPlan#ownArithmetic(boolean)})
     */
    Reads reads(Critic critic, boolean adjoints) {
        if (random(sd) || random(critic.sd())) {
            // a random op would draw anew in each pass
            return Reads.NONE;
        }
        Set<String> primal = new HashSet<>();
        for (SameDiffOp op : GraphPath.ops(sd, X, logits)) {
            SameDiffOp twin = critic.sd().getOps().get(op.getName());
            if (twin == null || !sameOp(op, sd, twin, critic.sd())) {
                return Reads.NONE;
            }
            primal.addAll(op.getOutputsOfOp());
        }
        if (!sd.hasGradientFunction()) {
            sd.createGradFunction();
        }
        // (the critic pass computes them by other kernels than the tangent pass's own backward pass would: not with
        // libnd4j's bits, so only where plans use their own arithmetic)
        Map<String, String> adjointCandidates = adjoints && GraphPlan.ownArithmetic() ? adjoints(critic, primal)
                : Map.of();
        Set<String> candidates = new HashSet<>(primal);
        candidates.addAll(adjointCandidates.keySet());
        // what the plan of the pass (the parameters' gradients, as the tangent pass requests them) reads of them,
        // after its fused kernels took the place of ops (the tangent of a batch norm reads x, m and v alone)
        List<String> gradients = params.stream().map(p -> sd.getVariable(p).getGradient()).filter(Objects::nonNull)
                .map(SDVariable::name).toList();
        Set<String> planned = GraphPlan.reads(sd.getFunction("grad"), gradients, candidates);
        if (planned != null) {
            Map<String, String> adjointReads = new HashMap<>();
            adjointCandidates.forEach((dot, grad) -> {
                if (planned.contains(dot)) {
                    adjointReads.put(dot, grad);
                }
            });
            Set<String> forward = new HashSet<>(planned);
            forward.retainAll(primal);
            return Reads.of(forward, adjointReads);
        }
        // what the ops of the pass other than the forward ops themselves read of the forward values
        Set<String> reads = new TreeSet<>();
        for (SameDiffOp op : sd.getFunction("grad").getOps().values()) {
            List<String> in = op.getInputsToOp() == null ? List.of() : op.getInputsToOp();
            List<String> out = op.getOutputsOfOp() == null ? List.of() : op.getOutputsOfOp();
            if (out.stream().noneMatch(primal::contains)) {
                in.stream().filter(primal::contains).forEach(reads::add);
            }
        }
        return Reads.of(reads, Map.of());
    }

    /** The ops of a layer's product with its weights, whose weight gradient reads the adjoint of its output. */
    private static final Set<String> LAYER_OPS = Set.of("conv2d", "deconv2d", "depthwise_conv2d", "matmul", "mmul",
            "tensormmul");

    /**
     * The adjoints of this tangent graph's tangents of the forward variables {@code primal} that the critic graph's
     * pass computes, at the outputs of the layers' products with their weights ({@link #LAYER_OPS}: the adjoints the
     * weight gradients read, which cut the tangent pass's chain of input gradients at every layer): the gradient
     * variable of tangent v' in this graph's gradient function, by name, to that of v in the critic's, where both are
     * op outputs of one type (see {@link #reads}). Not at a normalization layer's input: its fused backward kernel
     * in the tangent pass writes that adjoint beside its gain's gradient, and given it, the layer's elementary ops
     * would run instead (on a small DCGAN discriminator, 280 ops in a D step against 189).
     */
    private Map<String, String> adjoints(Critic critic, Set<String> primal) {
        if (!critic.sd().hasGradientFunction()) {
            critic.sd().createGradFunction();
        }
        SameDiff grad = sd.getFunction("grad");
        SameDiff criticGrad = critic.sd().getFunction("grad");
        Map<String, String> found = new HashMap<>();
        Set<String> normalized = new HashSet<>();
        BatchNormFusion.layers(sd).forEach(l -> normalized.add(l.x()));
        tangentOf.forEach((v, dot) -> {
            if (!primal.contains(v) || normalized.contains(v) || !sd.hasVariable(dot) || !critic.sd().hasVariable(v)) {
                return;
            }
            DifferentialFunction producer = sd.getVariableOutputOp(dot);
            if (producer == null || !LAYER_OPS.contains(producer.opName())) {
                return;
            }
            SDVariable adjoint = sd.getVariable(dot).getGradient();
            SDVariable gradient = critic.sd().getVariable(v).getGradient();
            if (adjoint == null || gradient == null || !grad.hasVariable(adjoint.name())
                    || !criticGrad.hasVariable(gradient.name())) {
                return;
            }
            SDVariable a = grad.getVariable(adjoint.name());
            SDVariable g = criticGrad.getVariable(gradient.name());
            if (a.getVariableType() != VariableType.ARRAY || g.getVariableType() != VariableType.ARRAY
                    || a.dataType() != g.dataType() || sd.getVariable(dot).dataType() != sd.getVariable(v).dataType()) {
                return;
            }
            found.put(adjoint.name(), gradient.name());
        });
        return found;
    }

    /**
     * Whether two ops compute the same function of their inputs: the same kind, inputs and outputs by name, the same
     * integer, float and boolean arguments (or scalar), and the same values of constant inputs.
     */
    private static boolean sameOp(SameDiffOp a, SameDiff sa, SameDiffOp b, SameDiff sb) {
        DifferentialFunction fa = a.getOp();
        DifferentialFunction fb = b.getOp();
        if (!fa.opName().equals(fb.opName()) || fa.getClass() != fb.getClass()
                || !Objects.equals(a.getInputsToOp(), b.getInputsToOp())
                || !Objects.equals(a.getOutputsOfOp(), b.getOutputsOfOp())) {
            return false;
        }
        if (fa instanceof DynamicCustomOp ca && fb instanceof DynamicCustomOp cb
                && (!Arrays.equals(ca.iArgs(), cb.iArgs()) || !Arrays.equals(ca.tArgs(), cb.tArgs())
                || !Arrays.equals(ca.bArgs(), cb.bArgs()))) {
            return false;
        }
        if (fa instanceof BaseScalarOp ca && fb instanceof BaseScalarOp cb
                && !Objects.equals(ca.getScalarValue(), cb.getScalarValue())) {
            return false;
        }
        if (fa instanceof BaseOp oa && fb instanceof BaseOp ob && !Arrays.equals(oa.extraArgs(), ob.extraArgs())) {
            return false;
        }
        for (String in : a.getInputsToOp() == null ? List.<String>of() : a.getInputsToOp()) {
            SDVariable va = sa.getVariable(in);
            SDVariable vb = sb.getVariable(in);
            if (va.getVariableType() == VariableType.CONSTANT || vb.getVariableType() == VariableType.CONSTANT) {
                if (va.getVariableType() != vb.getVariableType() || !Objects.equals(va.getArr(), vb.getArr())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the graph draws random numbers. */
    static boolean random(SameDiff graph) {
        return graph.getOps().values().stream().anyMatch(o -> o.getOp() instanceof RandomOp
                || o.getOp().getClass().getPackageName().startsWith("org.nd4j.linalg.api.ops.random"));
    }

    /** Names of ops with kinks that the network built directly in the graph, not through its scope. */
    List<String> kinkedOps() {
        return sd.getOps().values().stream().map(o -> o.getOp().opName())
                .filter(KINKED_OPS::contains).distinct().sorted().toList();
    }

    /**
     * Writes x into the input variable and returns the placeholders' values (x among them where the input is a
     * placeholder). The variable keeps its array object (values are assigned in place) while the shape stays the
     * same: SameDiff's gradient function holds on to the array a variable had when it was created, so binding a new
     * array object leaves it computing on stale input.
     */
    Map<String, INDArray> feed(INDArray x, INDArray w, INDArray labels) {
        if (sd.getVariable(X).isPlaceHolder()) {
            return labels == null ? Map.of(X, x, W, w) : Map.of(X, x, W, w, LABELS, labels);
        }
        INDArray current = sd.getArrForVarName(X);
        if (current != null && Arrays.equals(current.shape(), x.shape())) {
            InPlace.copy(current, x);
        } else {
            sd.associateArrayWithVariable(x.dup(), X);
        }
        return labels == null ? Map.of(W, w) : Map.of(W, w, LABELS, labels);
    }
}
