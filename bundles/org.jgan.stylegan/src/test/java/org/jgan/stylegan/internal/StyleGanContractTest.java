package org.jgan.stylegan.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/** The StyleGAN networks keep the contract of every architecture: AdaIN or weight demodulation, noise inputs, mapping network. */
class StyleGanContractTest extends ArchitectureContract {

    StyleGanContractTest() {
        super(new StyleGanArchitecture(), "stylegan", 12);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 32, 32), 0, "channels", "8", "wDim", "16", "mappingLayers", "3"),
                Case.of(new DataShape(3, 32, 32), 0, "channels", "8", "wDim", "16", "mappingLayers", "3",
                        "modulation", "demodulation"),
                Case.of(new DataShape(1, 64, 64), 0, "channels", "8", "wDim", "16", "mappingLayers", "3"));
    }
}
