// ml-logistic-regression 2.x ships no type declarations; this declares the part batch-retrain.ts
// uses. Inputs are ml-matrix matrices (its dependency). Classes are one-vs-all: classifier i is
// trained on "label is not i", so for 0/1 labels classifiers[0] scores P(label = 1).
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  interface LogisticRegressionOptions {
    /** Gradient-ascent steps (full batch); default 50,000. */
    readonly numSteps?: number;
    /** Step size on the summed (not averaged) gradient; default 5e-4. */
    readonly learningRate?: number;
  }

  interface TwoClassClassifier {
    /** 1 x features row of weights once trained. */
    readonly weights: Matrix | null;
    testScores(features: Matrix): number[];
  }

  export default class LogisticRegression {
    constructor(options?: LogisticRegressionOptions);
    readonly numberClasses: number;
    readonly classifiers: TwoClassClassifier[];
    train(features: Matrix, labels: Matrix): void;
    predict(features: Matrix): number[];
  }
}
