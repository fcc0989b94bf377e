import countryCodes from 'i18n-iso-countries';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import atlas from 'world-atlas/countries-110m.json';

export interface WorldMap {
  /** GeoJSON whose features are named by ISO 3166-1 alpha-2 (the API's country codes). */
  readonly geoJson: FeatureCollection<Geometry, { name: string }>;
  /** alpha-2 -> the country's name in the atlas, for tooltips. */
  readonly names: ReadonlyMap<string, string>;
}

/** No sessions come from there, and its outline crosses every meridian. */
const ANTARCTICA = '010';

type Ring = number[][];

/**
 * TRICKY: ECharts draws GeoJSON as given, without cutting at the antimeridian, so a ring that
 * crosses it (Russia's Chukotka, Fiji) is drawn as a band across the whole map. Such rings are
 * moved to continue east of 180 degrees instead.
 */
function unwrapRing(ring: Ring): Ring {
  const crosses = ring.some(
    (p, i) => i > 0 && Math.abs((p[0] ?? 0) - (ring[i - 1]?.[0] ?? 0)) > 180,
  );
  return crosses ? ring.map(([lon = 0, lat = 0]) => [lon < 0 ? lon + 360 : lon, lat]) : ring;
}

function unwrapAntimeridian(geometry: Geometry): Geometry {
  if (geometry.type === 'Polygon') {
    return { ...geometry, coordinates: geometry.coordinates.map(unwrapRing) };
  }
  if (geometry.type === 'MultiPolygon') {
    return { ...geometry, coordinates: geometry.coordinates.map((p) => p.map(unwrapRing)) };
  }
  return geometry;
}

/**
 * Natural Earth's 1:110m countries (world-atlas), whose ids are ISO 3166-1 numeric codes,
 * renamed to alpha-2 so the map's data items are the API's country codes as they are. A shape
 * without an id (disputed areas) keeps a name no country code can take.
 */
export function worldMap(): WorldMap {
  const topology = atlas as unknown as Topology;
  const countries = feature(
    topology,
    topology.objects['countries'] as GeometryCollection<{ name?: string }>,
  ) as FeatureCollection<Geometry, { name?: string }>;
  const names = new Map<string, string>();
  const features = countries.features
    .filter((shape) => shape.id !== ANTARCTICA)
    .map((shape, i): Feature<Geometry, { name: string }> => {
      const alpha2 = shape.id === undefined ? undefined : countryCodes.numericToAlpha2(shape.id);
      const name = alpha2 ?? `shape-${i}`;
      if (alpha2 !== undefined) names.set(alpha2, shape.properties.name ?? alpha2);
      return { ...shape, geometry: unwrapAntimeridian(shape.geometry), properties: { name } };
    });
  return { geoJson: { type: 'FeatureCollection', features }, names };
}
