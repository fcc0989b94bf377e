// ua-parser-js 1.x ships no type declarations (types arrived with 2.x) and @types/ua-parser-js is
// not a dependency, so this declares just the part of its API that user-agent.ts uses.
declare module 'ua-parser-js' {
  namespace UAParser {
    interface IBrowser {
      readonly name?: string;
      readonly version?: string;
      readonly major?: string;
    }
    interface IOS {
      readonly name?: string;
      readonly version?: string;
    }
    interface IDevice {
      /** console, mobile, tablet, smarttv, wearable, embedded, xr; undefined for desktops. */
      readonly type?: string;
      readonly vendor?: string;
      readonly model?: string;
    }
    interface IResult {
      readonly ua: string;
      readonly browser: IBrowser;
      readonly os: IOS;
      readonly device: IDevice;
    }
  }

  class UAParser {
    constructor(userAgent?: string);
    setUA(userAgent: string): this;
    getResult(): UAParser.IResult;
  }

  export = UAParser;
}
