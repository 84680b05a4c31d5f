package org.jgan.resnet.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/** The ResNet networks keep the contract of every architecture: batch norm in G, D, both or neither, conditional or not. */
class ResnetContractTest extends ArchitectureContract {

    ResnetContractTest() {
        super(new ResnetArchitecture(), "resnet", 16);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 28, 28), 0, "channels", "8"),
                Case.of(new DataShape(3, 32, 32), 10, "channels", "8", "dNorm", "batch"),
                Case.of(new DataShape(3, 64, 64), 0, "channels", "8"),
                Case.of(new DataShape(3, 32, 32), 0, "channels", "8", "gNorm", "none", "dNorm", "batch"),
                Case.of(new DataShape(1, 28, 28), 10, "channels", "8", "gNorm", "none"));
    }

    @Override
    protected List<DataShape> unsupportedShapes() {
        return List.of(new DataShape(1, 30, 30), new DataShape(3, 32, 16), new DataShape(2), new DataShape(3, 128, 128));
    }
}
