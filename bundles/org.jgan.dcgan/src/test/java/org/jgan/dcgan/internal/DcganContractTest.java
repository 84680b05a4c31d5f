package org.jgan.dcgan.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/** The DCGAN networks keep the contract of every architecture: batch norm or none, ReLU or tanh, conditional or not. */
class DcganContractTest extends ArchitectureContract {

    DcganContractTest() {
        super(new DcganArchitecture(), "dcgan", 16);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 28, 28), 0, "channels", "8"),
                Case.of(new DataShape(3, 32, 32), 10, "channels", "8"),
                Case.of(new DataShape(3, 64, 64), 0, "channels", "8"),
                Case.of(new DataShape(3, 32, 32), 0, "channels", "8", "norm", "none", "activation", "tanh"),
                Case.of(new DataShape(1, 28, 28), 10, "channels", "8", "norm", "none"),
                Case.of(new DataShape(3, 32, 32), 0, "channels", "8", "activation", "tanh"));
    }

    @Override
    protected List<DataShape> unsupportedShapes() {
        return List.of(new DataShape(1, 30, 30), new DataShape(3, 32, 16), new DataShape(2), new DataShape(3, 128, 128));
    }
}
