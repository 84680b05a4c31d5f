package org.jgan.mlp.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/**
 * The MLP networks keep the contract of every architecture: ReLU, LeakyReLU or tanh, conditional or not, minibatch
 * discrimination, virtual or ordinary batch norm, and maxout. Their samples are vectors of the data's space, not bounded to [-1, 1].
 */
class MlpContractTest extends ArchitectureContract {

    MlpContractTest() {
        super(new MlpArchitecture(), "mlp", 16);
    }

    @Override
    protected boolean boundedSamples() {
        return false;
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(2), 0, "hidden", "16"),
                Case.of(new DataShape(3), 7, "hidden", "16", "activation", "leakyrelu"),
                Case.of(new DataShape(2), 0, "hidden", "16", "activation", "tanh", "init", "normal"),
                Case.of(new DataShape(2), 0, "hidden", "16", "minibatchKernels", "4"),
                Case.of(new DataShape(2), 0, "hidden", "16", "gNorm", "vbn"),
                Case.of(new DataShape(2), 0, "gHidden", "12", "dHidden", "10", "gNorm", "bn", "dMaxout", "5"),
                Case.of(new DataShape(3), 4, "hidden", "8", "gNorm", "bn", "dMaxout", "2", "activation", "leakyrelu"));
    }
}
